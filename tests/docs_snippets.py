"""Every ```cpp block of a page must appear, line for line (indentation aside),
in the compiled source that holds the page's code. Usage: docs_snippets.py PAGE SOURCE"""
import re
import sys


def lines(text):
    return [l.strip() for l in text.splitlines() if l.strip()]


def main(page_path, source_path):
    page = open(page_path, encoding="utf-8").read()
    source = lines(open(source_path, encoding="utf-8").read())
    blocks = re.findall(r"```cpp\n(.*?)```", page, flags=re.S)
    if not blocks:
        print(f"{page_path}: no ```cpp block found")
        return 1
    failed = 0
    for i, block in enumerate(blocks, 1):
        want = lines(block)
        found = any(source[k:k + len(want)] == want for k in range(len(source) - len(want) + 1))
        if not found:
            failed += 1
            print(f"{page_path}: cpp block {i} is not in {source_path}:\n{block}")
    print(f"{len(blocks) - failed} of {len(blocks)} cpp blocks of {page_path} found in {source_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
