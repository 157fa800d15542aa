#!/usr/bin/env python3
"""The benchmark's notice-on config: CONFIG with [language_access] on (English
and 15 languages, in_letter), written to OUT. The texts are test words in each
language's script, not translations: the benchmark measures what printing the
notice costs, not its wording.

Usage: notice-config.py CONFIG OUT
"""
import sys

TEXTS = [
    ("es", "Español", "Ayuda gratuita con el idioma"), ("zh", "中文", "免费语言帮助服务"),
    ("vi", "Tiếng Việt", "Hỗ trợ ngôn ngữ miễn phí"), ("ko", "한국어", "무료 언어 지원 서비스"),
    ("tl", "Tagalog", "Libreng tulong sa wika"), ("ru", "Русский", "Бесплатная языковая помощь"),
    ("ar", "العربية", "مساعدة لغوية مجانية"), ("ht", "Kreyòl Ayisyen", "Èd gratis nan lang ou"),
    ("fr", "Français", "Aide linguistique gratuite"), ("pl", "Polski", "Bezpłatna pomoc językowa"),
    ("pt", "Português", "Ajuda gratuita com o idioma"), ("it", "Italiano", "Assistenza linguistica gratuita"),
    ("de", "Deutsch", "Kostenlose Sprachhilfe"), ("ja", "日本語", "無料の言語支援"),
    ("fa", "فارسی", "کمک زبانی رایگان"),
]

config, out = sys.argv[1], sys.argv[2]
text = open(config, encoding="utf-8").read()
# The commented-out section a config from `kindly init` carries, if any.
text = text.replace("[language_access]\nenabled = false\n", "[language_access_off]\n")
text = text.replace("[language_access_off]\n", "")
codes = ", ".join(f'"{c}"' for c, _, _ in TEXTS)
text += (f'\n[language_access]\nenabled = true\nphone = "1-541-555-0100"\ntty = "711"\n'
         f"languages = [{codes}]\n")
for code, name, words in TEXTS:
    text += (f"\n[language_access.texts.{code}]\nname = \"{name}\"\n"
             f"text = \"{words} ({name}): {words}. {words}. {{phone}} (TTY: {{tty}}).\"\n"
             "source = \"kindly benchmark: test words, not a translation\"\n")
open(out, "w", encoding="utf-8").write(text)
