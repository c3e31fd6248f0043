#!/usr/bin/env bash
# Debian packages the tests need: the distribution's Chromium (no browser download at run time)
# and fonts for the non-Latin locales (browser tests), SpamAssassin (the check's spam score).
# Installs only what is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
command -v spamassassin >/dev/null 2>&1 || missing+=(spamassassin)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
# Wait (bounded) for another apt run to finish instead of failing on its lock.
lock=(-o DPkg::Lock::Timeout=300)
$sudo apt-get "${lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" install -y -qq "${missing[@]}" >/dev/null
