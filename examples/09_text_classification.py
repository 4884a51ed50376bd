"""Text classification: a tokenizer in a few lines, Embedding with mask_zero, average pooling.

The corpus is generated here: short reviews made of filler words and a few opinion words
("great", "awful", ...); a review is positive when it has more positive than negative
opinion words. The tokenizer maps each word to an id (0 is kept for padding, 1 for words it
never saw) and pads every review to the same length. `Embedding(mask_zero=True)` turns ids
into learned vectors and marks the padding; `GlobalAveragePooling1D` averages the vectors of
the real words only (it reads that mask), so a review's length does not dilute it.
The average forgets word order: "not" is a word like any other, and the model cannot tell
which opinion it negates ("not bad but rude" is the same bag as "bad but not rude"), which
caps its accuracy below 1; a sequence model (example 08) could learn it.
Prints the test accuracy (about 0.9) and the model's opinion of a few new sentences.
Run: python examples/09_text_classification.py   then   tensorboard --logdir logs/09_text_classification
"""
import numpy as np

import layered
from layered import layers
from _common import epochs, log_dir

POSITIVE = "great good excellent tasty friendly lovely fresh perfect delicious pleasant".split()
NEGATIVE = "awful bad terrible bland rude cold stale slow greasy dirty".split()
FILLER = ("the a food service staff was were and but very quite really place meal we our it "
          "table dessert soup coffee wine visit this evening today with").split()
MAX_WORDS = 16


def make_reviews(count, seed, negation=0.15):
    """`count` reviews (strings) and labels (1 = positive). Each has 1..3 opinions for its side
    and fewer against, shuffled in among filler words; an opinion word is sometimes written
    negated ("not tasty" counts as negative)."""
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for _ in range(count):
        label = int(rng.integers(2))
        major = int(rng.integers(1, 4))
        minor = int(rng.integers(0, major))
        phrases = [_opinion(rng, label, negation) for _ in range(major)]
        phrases += [_opinion(rng, 1 - label, negation) for _ in range(minor)]
        phrases += list(rng.choice(FILLER, int(rng.integers(2, MAX_WORDS - 2 * len(phrases) + 1))))
        rng.shuffle(phrases)
        reviews.append(" ".join(phrases))
        labels.append(label)
    return reviews, np.array(labels, "float32")


def _opinion(rng, positive, negation):
    """An opinion word for the given side: "great", or a negated opposite: "not awful"."""
    if rng.random() < negation:
        return "not " + rng.choice(NEGATIVE if positive else POSITIVE)
    return rng.choice(POSITIVE if positive else NEGATIVE)


class Tokenizer:
    """Words to ids by frequency in the training texts: 0 pads, 1 is an unknown word."""

    def __init__(self, texts):
        counts = {}
        for text in texts:
            for word in text.lower().split():
                counts[word] = counts.get(word, 0) + 1
        self.ids = {word: i + 2 for i, word in enumerate(sorted(counts, key=lambda w: -counts[w]))}

    def __call__(self, texts, length=MAX_WORDS):
        batch = np.zeros((len(texts), length), "int32")  # zeros: the padding that mask_zero hides
        for row, text in enumerate(texts):
            ids = [self.ids.get(word, 1) for word in text.lower().split()][:length]
            batch[row, :len(ids)] = ids
        return batch


def main(verbose=0):
    layered.utils.set_random_seed(9)
    train_texts, y_train = make_reviews(3000, seed=0)
    test_texts, y_test = make_reviews(500, seed=1)
    tokenize = Tokenizer(train_texts)
    x_train, x_test = tokenize(train_texts), tokenize(test_texts)
    vocabulary = len(tokenize.ids) + 2
    print(f"{len(train_texts)} reviews such as {train_texts[0]!r}; {vocabulary} token ids")

    model = layered.Sequential([
        layered.Input(shape=(MAX_WORDS,), dtype="int32"),
        layers.Embedding(vocabulary, 16, mask_zero=True),  # (batch, words, 16), and a mask of the real words
        layers.GlobalAveragePooling1D(),                   # (batch, 16): the mean over real words
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="review_sentiment")
    model.summary()
    model.compile(optimizer=layered.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    tensorboard = layered.callbacks.TensorBoard(log_dir=log_dir("09_text_classification"))
    model.fit(x_train, y_train, batch_size=32, epochs=epochs(15, 2), callbacks=[tensorboard], verbose=verbose)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    sentences = ["the soup was cold and the staff rude", "lovely evening with great wine",
                 "good coffee but terrible slow service and a dirty table", "the zebra was delicious",
                 "the food was not bad"]
    for sentence, p in zip(sentences, model.predict(tokenize(sentences), verbose=0)[:, 0]):
        print(f"  {p:.2f} positive: {sentence!r}")
    print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main(verbose="auto")
