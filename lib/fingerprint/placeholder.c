/* removed when the first parser lands */ int fp_placeholder_symbol;
