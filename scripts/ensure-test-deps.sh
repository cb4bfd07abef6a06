#!/usr/bin/env bash
# Make sure the system programs the test suite needs are installed (Debian/Ubuntu).
#
# Idempotent and silent when everything is present. Installs missing packages
# with apt-get only when running as root; otherwise prints a loud note (the
# affected tests then skip locally and FAIL when $CI is set).
set -euo pipefail

APT_UPDATED=0
APT_LOG="$(mktemp -t b1mg-apt.XXXXXX)"
trap 'rm -f "$APT_LOG"' EXIT

note() {
    printf '\n*** %s\n\n' "$*" >&2
}

can_apt() {
    [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1
}

apt_install() {
    # apt_install PACKAGE... -- quiet, non-interactive; shows apt's output only on failure.
    if [[ "$APT_UPDATED" -eq 0 ]]; then
        if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$APT_LOG" 2>&1; then
            cat "$APT_LOG" >&2
            return 1
        fi
        APT_UPDATED=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$APT_LOG" 2>&1; then
        cat "$APT_LOG" >&2
        return 1
    fi
}

# --- PostgreSQL server binaries (initdb, pg_ctl), used by tests/pg_server.py ---

have_postgres_server() {
    if [[ -n "${B1MG_PG_BINDIR:-}" && -x "$B1MG_PG_BINDIR/initdb" && -x "$B1MG_PG_BINDIR/pg_ctl" ]]; then
        return 0
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        return 0
    fi
    local bindir
    for bindir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" ]]; then
            return 0
        fi
    done
    return 1
}

if ! have_postgres_server; then
    if can_apt; then
        echo "ensure-test-deps: installing the PostgreSQL server (apt-get install postgresql) ..." >&2
        apt_install postgresql
        have_postgres_server || { note "PostgreSQL was installed but initdb/pg_ctl are still not found"; exit 1; }
    else
        note "PostgreSQL server binaries (initdb, pg_ctl) NOT FOUND and cannot install them (not root or no apt-get).
*** Install them, e.g. 'sudo apt-get install postgresql', or set B1MG_PG_BINDIR.
*** Without them the PostgreSQL half of the integration tests is SKIPPED (and FAILS when CI is set)."
    fi
fi

# --- Chromium (kaleido chart export, Playwright browser tests) ---
# Debian's package, at /usr/bin/chromium; never 'playwright install' (no browser downloads here).
if [[ ! -x /usr/bin/chromium ]]; then
    if can_apt; then
        echo "ensure-test-deps: installing Chromium (apt-get install chromium) ..." >&2
        apt_install chromium
    else
        note "Chromium NOT FOUND at /usr/bin/chromium and cannot install it (not root or no apt-get).
*** Install it, e.g. 'sudo apt-get install chromium'. Without it the browser tests and the PDF charts
*** are SKIPPED locally (and FAIL when CI is set)."
    fi
fi

# --- Fonts of the PDF readiness report (reports/report.css: Noto Sans and Noto Serif) ---
# Without them WeasyPrint falls back to Liberation/DejaVu: the report still renders, only less well.
if [[ ! -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ]]; then
    if can_apt; then
        echo "ensure-test-deps: installing the report fonts (apt-get install fonts-noto-core) ..." >&2
        apt_install fonts-noto-core
    else
        note "Noto fonts NOT FOUND and cannot install them (not root or no apt-get).
*** Install them, e.g. 'sudo apt-get install fonts-noto-core'. Without them the PDF report uses fallback fonts."
    fi
fi
