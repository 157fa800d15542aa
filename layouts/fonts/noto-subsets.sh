#!/usr/bin/env bash
# Makes the Noto fonts in this folder from Debian's font packages, so that
# letters can print the scripts of the languages a practice's patients read
# (the language-assistance notice, and names in other scripts).
#
#   apt-get install fonts-noto-core fonts-noto-cjk   # 20201225-1, 1:20220127+repack1-1
#   pip install fonttools                              # pyftsubset
#   bash layouts/fonts/noto-subsets.sh
#
# Noto is under the SIL Open Font License 1.1 (LICENSE-Noto.txt beside it).
# The per-script fonts are kept whole but for their hinting (TrueType hints
# are half of some files and printers at 600 dpi do not need them). The CJK
# face holds 65,535 glyphs (19 MB), so it is cut to the characters of the
# national character sets everyday Chinese, Korean and Japanese text is
# written in: GB 2312, Big5 level 1, KS X 1001 and JIS X 0208 (14,308
# characters, 5.2 MB). A character outside them prints as no glyph, and
# kindly holds that letter ("missing glyph") rather than print an empty box.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
core=/usr/share/fonts/truetype/noto
cjk=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

for script in Arabic Armenian Bengali Devanagari Ethiopic Georgian Gujarati Gurmukhi \
    Hebrew Khmer Lao Myanmar Tamil Telugu Thai; do
    pyftsubset "$core/NotoSans$script-Regular.ttf" --unicodes='*' --glyphs='*' \
        --layout-features='*' --no-hinting --output-file="$out/NotoSans$script-Regular.ttf"
done

# The characters of the four character sets, from Python's own codecs.
python3 - >"${TMPDIR:-/tmp}/kindly-cjk-unicodes.txt" <<'PY'
chars = set()
def table(codec, leads, trails):
    for a in leads:
        for b in trails:
            try:
                chars.update(bytes([a, b]).decode(codec))
            except UnicodeDecodeError:
                pass
table("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
table("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
table("euc_kr", range(0xA1, 0xFF), range(0xA1, 0xFF))
table("euc_jp", range(0xA1, 0xF5), range(0xA1, 0xFF))
print("\n".join(f"U+{ord(c):04X}" for c in sorted(chars) if ord(c) > 0x7F))
PY
# Face 2 of the collection is Noto Sans CJK SC.
pyftsubset "$cjk" --font-number=2 --unicodes-file="${TMPDIR:-/tmp}/kindly-cjk-unicodes.txt" \
    --no-hinting --output-file="$out/NotoSansCJKsc-Regular-subset.otf"
