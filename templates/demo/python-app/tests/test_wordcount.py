import unittest

from wordcount import count_words, most_common


class WordCountTests(unittest.TestCase):
    def test_counts_case_insensitively(self):
        self.assertEqual(count_words("Git git GIT ci")["git"], 3)

    def test_most_common(self):
        self.assertEqual(most_common("a b b c c c"), [("c", 3)])

    def test_empty_text(self):
        self.assertEqual(count_words(""), {})


if __name__ == "__main__":
    unittest.main()
