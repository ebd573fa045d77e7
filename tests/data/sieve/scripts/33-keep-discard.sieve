# keep, then discard: the explicit keep stays.
keep;
discard;
