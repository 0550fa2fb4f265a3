//! Pure image engine: PDQ hashing, bounded decoding, and exact Hamming radius search. No IO.
