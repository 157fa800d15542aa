# Developer recipes. `just` is optional: each recipe is the plain command below it.

# Compiled dependencies are kept outside the clone and shared between clones.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", env_var("HOME") + "/.cache/kindly-target")

default: test

# The statement run on the shipped sample export, into runs/sample.
sample:
    cargo run -- run sample-data/export.csv --config sample-data/kindly.toml --as-of 2026-11-30 --out runs/sample --overwrite

# Unit, property and end-to-end tests (the README's test command).
test:
    cargo test

fmt:
    cargo fmt --all -- --check

clippy:
    cargo clippy --all-targets -- -D warnings

# kindly against its peers on generated exports (default 1,000, 10,000 and 100,000 accounts), e.g. `just bench 1000 10000`.
bench *SIZES:
    bench/run.sh {{SIZES}}

# Regenerate the shipped sample export (520 accounts, a few broken rows).
sample-data:
    cargo run -- sample-export --accounts 520 --seed 7 --as-of 2026-11-30 --broken -o sample-data/export.csv
    cargo run -- sample-export --accounts 60 --seed 7 --as-of 2026-11-30 --shape households -o sample-data/household-export.csv

# The README's pictures of each stage's letter, from the sample export.
pictures:
    for stage in reminder plan_offer assistance final_notice; do \
      cargo run -- preview sample-data/export.csv --config sample-data/kindly.toml --as-of 2026-11-30 \
        --account 1000017 --stage $stage -o docs/$stage.pdf --png && rm docs/$stage.pdf && mv docs/$stage-1.png docs/$stage.png; \
    done

# A screenshot of a run's report.html from headless Chromium (Debian package `chromium`), as docs/report.png.
report-picture RUN="runs/sample":
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
      --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
      --window-size=1100,2000 --screenshot="$PWD/docs/report.png" "file://$(realpath {{RUN}})/report.html"

# A picture of the cover of a run's proof.pdf (Debian package `poppler-utils`), as docs/proof-cover.png.
proof-picture RUN="runs/sample":
    pdftoppm -f 1 -l 1 -png -r 70 -singlefile {{RUN}}/proof.pdf docs/proof-cover

# Fuzz the export reader for SECONDS (needs `cargo install cargo-fuzz`).
fuzz SECONDS="300":
    cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ingest --sanitizer none -O -- -max_total_time={{SECONDS}}

# What CI runs.
ci:
    bash .ci/run
