"""Wording: message catalogues and number, date and money formatting in English and Japanese."""
