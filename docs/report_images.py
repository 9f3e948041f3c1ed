"""Pictures of two reports for the documentation (``make docs-images``).

Runs two tables through the embedded server exactly as a user would (``Manager``, a runner),
downloads the report the server wrote, and saves under ``docs/report/``, for NAME ``wbcd``
(the clean example, k=15, every privacy-impact fact and the approver declared) and ``messy``
(the 5,000-row patient table of ``tests/test_messy_table.py``: a key, an e-mail, free text,
income outliers, missing dates; some facts and approver fields left to be completed):

- ``NAME-page-N.png``: every page of the PDF report (pdftoppm at 60 dpi);
- ``NAME-html.png``: the top of the HTML report in headless Chromium.

So a reader sees what the report looks like without running anything, and the pictures are
redrawn from the real product whenever the report changes. Needs poppler-utils and chromium
(``scripts/system-packages.sh``). The server runs in a temporary ``AVATAR_HOME``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from avatars import Manager, Runner

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "report"
WAIT_S = 300.0


def shared_data() -> Path:
    default = ROOT.parent / "shared" / "data"
    return Path(os.environ.get("AVATAR_SHARED_DATA", default))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found: install it with scripts/system-packages.sh")
    return path


def screenshot(html: Path, png: Path, profile: Path) -> None:
    """Headless Chromium without the background services that hang on a closed network."""
    subprocess.run(
        [
            tool("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1100,1500",
            html.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if not png.is_file():
        sys.exit("chromium took no screenshot")


def shrink(png: Path, colours: int = 128) -> None:
    """Palette PNG (a screenshot of text and flat colours loses nothing visible) so the
    committed images stay small."""
    from PIL import Image

    with Image.open(png) as picture:
        small = picture.convert("RGB").quantize(colors=colours, dither=Image.Dither.NONE)
        small.save(png, optimize=True)


MESSY_ROWS = 5000


def _wbcd(manager: Manager, _work: Path) -> Runner:
    from avatar_yaml import DataRecipient, DataSubject, DataType, SensitivityLevel

    runner = manager.create_runner(
        "wbcd_report",
        seed=0,
        pia_data_recipient=DataRecipient.CONTRACTUAL_THIRD_PARTY,
        pia_data_type=DataType.HEALTH,
        pia_data_subject=DataSubject.PATIENTS,
        pia_sensitivity_level=SensitivityLevel.HIGH,
        approver_name="Claire Martin",
        approver_role="Data protection officer",
        approver_organisation="Hôpital Saint-Louis",
        approver_date="2025-03-01",
    )
    runner.add_table("wbcd", str(shared_data() / "wbcd.csv"))
    runner.set_parameters("wbcd", k=15)
    return runner


def _messy(manager: Manager, work: Path) -> Runner:
    """The messy table with each identifying column dealt with: the key set aside, the
    e-mail pseudonymized, the free-text notes dropped. Half the facts are declared."""
    sys.path.insert(0, str(ROOT))
    from avatar_yaml import DataSubject, DataType
    from tests.test_messy_table import messy_table

    path = work / "patients.csv"
    messy_table(MESSY_ROWS).to_csv(path, index=False)
    runner = manager.create_runner(
        "patients",
        seed=0,
        pia_data_type=DataType.HEALTH,
        pia_data_subject=DataSubject.PATIENTS,
        approver_name="Claire Martin",
        approver_role="Data protection officer",
    )
    runner.add_table(
        "patients",
        str(path),
        primary_key="patient_id",
        pseudonymize={"email": "HASH_SHA256"},
        columns_to_drop=["notes"],
    )
    runner.set_parameters("patients", k=15)
    return runner


EXAMPLES: dict[str, Callable[[Manager, Path], Runner]] = {"wbcd": _wbcd, "messy": _messy}


def download_report(manager: Manager, runner: Runner, work: Path) -> tuple[Path, Path]:
    """Run the runner's jobs and fetch its basic ``report.html`` and ``report.pdf``."""
    runner.run()
    client = manager.auth_client
    deadline = time.monotonic() + WAIT_S
    while True:
        jobs = client.jobs.get_jobs(set_name=runner.set_name).jobs
        report = next((job for job in jobs if job.parameters_name == "report"), None)
        if report is not None and report.done:
            break
        if time.monotonic() > deadline:
            sys.exit("the report job did not finish in time")
        if report is not None:
            client.jobs.get_job(report.name, wait=5)
        else:
            time.sleep(0.5)
    if report.status != "done":
        sys.exit(f"the report job {report.status}: {report.error}")
    paths = []
    for entry in client.results.get_results(report.name).files:
        target = work / f"{runner.display_name}-{entry.name}"
        target.write_bytes(client.results.read_bytes(report.name, entry.name))
        paths.append(target)
    html = next(p for p in paths if p.suffix == ".html")
    pdf = next(p for p in paths if p.suffix == ".pdf")
    return html, pdf


def pictures(name: str, html: Path, pdf: Path, work: Path) -> None:
    for old in OUT.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(
        [tool("pdftoppm"), "-png", "-r", "60", str(pdf), str(OUT / f"{name}-page")], check=True
    )
    # pdftoppm numbers pages with as many digits as the count needs: name them 1, 2, ...
    for page in OUT.glob(f"{name}-page-*.png"):
        number = int(page.stem.rsplit("-", 1)[1])
        page.rename(OUT / f"{name}-page-{number}.png")
    screenshot(html, OUT / f"{name}-html.png", work / f"chromium-profile-{name}")
    for picture in sorted(OUT.glob(f"{name}-*.png")):
        shrink(picture)
        size = picture.stat().st_size // 1024
        sys.stdout.write(f"{picture.relative_to(ROOT)}: {size} KB\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-images-") as tmp:
        work = Path(tmp)
        os.environ["AVATAR_HOME"] = str(work / "home")
        os.environ.pop("AVATAR_BASE_URL", None)
        from avatars import Manager

        manager = Manager()
        for name, example in EXAMPLES.items():
            html, pdf = download_report(manager, example(manager, work), work)
            pictures(name, html, pdf, work)


if __name__ == "__main__":
    main()
