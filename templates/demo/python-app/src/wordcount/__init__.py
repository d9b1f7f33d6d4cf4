"""Counts words: the sample project gitci's demo builds."""

from collections import Counter


def count_words(text: str) -> Counter:
    """Words are split on white space and compared case-insensitively."""
    return Counter(word.lower() for word in text.split())


def most_common(text: str, n: int = 1) -> list:
    return count_words(text).most_common(n)
