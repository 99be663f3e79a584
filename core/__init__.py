"""The vocabularies, the one error type, the clock and the strict-JSON rule every layer shares."""
