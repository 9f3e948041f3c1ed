#!/usr/bin/env bash
# Debian packages the report rendering and its tests need, installed when missing:
# pango + fonts (WeasyPrint renders the PDF report), poppler-utils (pdftotext, pdffonts,
# pdftoppm) and qpdf (report checks), chromium (screenshot of the HTML report), postgresql
# (the server binaries the integration tests start a throwaway cluster with),
# libreoffice-writer-nogui (converts the DOCX privacy-impact report to PDF in its test: the
# smallest LibreOffice that does, without recommends about 85 MB to download, 260 MB
# installed, under a minute).
set -euo pipefail

PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
  poppler-utils qpdf chromium postgresql libreoffice-writer-nogui
)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "system-packages: apt-get not found; install by hand: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "system-packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
