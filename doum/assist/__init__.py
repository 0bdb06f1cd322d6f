"""Offline text analysis: language, sentiment, key phrases and topics of Korean and English
text, with a model trained by the project's own code and shipped in the package."""
