/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ring-buffer records that carry user bytes, shared by the plugins' BPF programs.
 *
 * Reserved and filled in place: one copy from user memory, none through a scratch buffer.
 * The verifier wants a constant reservation size, so a record is reserved in a size class:
 * the first of the classes a program lists that holds the bytes. Ring space, not the copy,
 * is what the unused tail of a class costs.
 *
 *	RB_RESERVE_COPY(ring, struct my_rec, rec, err, n, src, 128, reserved)
 *	RB_RESERVE_COPY(ring, struct my_rec, rec, err, n, src, 4096, reserved)
 *	return;			(n is bigger than every class)
 * reserved:
 *	rec: the record, its data[] holding the n bytes; NULL with err -ENOSPC (ring full) or
 *	-EFAULT (the bytes could not be read: the record is discarded).
 */
#ifndef JA4PROBE_RINGBUF_RECORDS_BPF_H
#define JA4PROBE_RINGBUF_RECORDS_BPF_H

#define RB_ENOSPC 28
#define RB_EFAULT 14

#define RB_RESERVE_COPY(ring, rec_type, rec, err, n, src, class, out)                         \
	if ((n) <= (class)) {                                                                 \
		__u64 rb_len = (n);                                                           \
		/* the verifier wants the bound on the very register passed as the size */   \
		barrier_var(rb_len);                                                          \
		if (rb_len > (class))                                                         \
			rb_len = (class);                                                     \
		rec = bpf_ringbuf_reserve(&(ring), sizeof(rec_type) + (class), 0);            \
		err = rec ? 0 : -RB_ENOSPC;                                                   \
		if (rec && bpf_probe_read_user((rec)->data, rb_len, (const void *)(src))) {   \
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);                            \
			rec = NULL;                                                           \
			err = -RB_EFAULT;                                                     \
		}                                                                             \
		goto out;                                                                     \
	}

/*
 * Submitted without a wakeup (each costs 6-9 us; the reader drains on a timer) unless the
 * ring is past wake_bytes, so that a burst cannot overflow it before the timer fires. Asking
 * the ring its fill level reads the consumer's cache line, so a CPU asks once in
 * RB_WAKE_CHECK_EVERY records (counted in *submitted, a per-CPU counter): the ring holds
 * that many records per CPU more than the mark.
 */
#define RB_WAKE_CHECK_EVERY 16

static __always_inline __u64 rb_wakeup_flag(void *ring, __u64 *submitted, __u64 wake_bytes)
{
	if (!submitted || (++*submitted & (RB_WAKE_CHECK_EVERY - 1)))
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP :
									       BPF_RB_NO_WAKEUP;
}

#endif /* JA4PROBE_RINGBUF_RECORDS_BPF_H */
