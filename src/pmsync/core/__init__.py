"""The pure core: dataclasses in, results out. No I/O, no clock, no SQL, no printing."""
