"""The validation set: published and textbook cases screened by the engine, with measures.

See validation/PROTOCOL.md for how cases were found and encoded.
"""
