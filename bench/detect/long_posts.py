"""Turns the benchmark posts into long public posts (mean about 190 bytes of text): each is a
post of the corpus mix followed by a second one, a link and emoji, as comments and ads on
public pages are written. Deterministic (fixed seed). Usage: long_posts.py IN.jsonl OUT.jsonl"""

import json
import random
import sys

LINKS = ["https://bit.ly/{}", "https://s.id/{}", "http://t.co/{}", "https://linktr.ee/{}", "www.{}.com/promo",
         "https://wa.me/6281{}", "https://t.me/{}"]
EMOJI = ["🔥", "💯", "✅", "😍", "🙏", "💰", "🎰", "👇", "✨", "❤️", "😂", "🤣"]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rng = random.Random(190)
    texts = [json.loads(l)["text"] for l in open(src, encoding="utf-8")]
    total = 0
    with open(dst, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            other = texts[(i * 7919 + 13) % len(texts)]
            link = rng.choice(LINKS).format("".join(rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(7)))
            emoji = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4)))
            text = f"{t} {emoji} {other} {link}"
            if len(text.encode()) > 260:
                text = text.encode()[:260].decode("utf-8", "ignore")
            total += len(text.encode())
            f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
    print(f"wrote {len(texts)} long posts, mean {total / len(texts):.0f} bytes of text", file=sys.stderr)


if __name__ == "__main__":
    main()
