"""The vocabularies, the one error type and the clock every layer shares."""
