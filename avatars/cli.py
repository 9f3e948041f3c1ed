"""The ``avatars`` command line: serve, anonymize a file, run a saved configuration, inspect
datasets and jobs.

Without ``--base-url`` (or ``AVATAR_BASE_URL``) the commands run on the embedded local server;
with one, they use ``AVATAR_API_KEY`` to authenticate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avatar_yaml import (
    PARAMETERS_NAME,
    PRIVACY_METRICS_NAME,
    SIGNAL_METRICS_NAME,
    ResultKind,
    job_words,
    report_name,
)
from avatars.cli_release import (
    VERIFY_REFUSED,
    SavedAvatars,
    save_released_avatars,
    verify_files,
    verify_hint,
    write_manifest,
    write_spreadsheet_copy,
)
from avatars.cli_tables import (
    LinkArgs,
    TableArgs,
    advice_lines,
    declared_tables,
    run_name,
    table_paths,
)
from avatars.version import client_version

if TYPE_CHECKING:
    from avatars_api.models import DatasetOut

    from avatars.errors import AvatarError
    from avatars.manager import Manager
    from avatars.runner import Runner

SENSITIVE_RESULTS = frozenset(
    {ResultKind.UNSHUFFLED, ResultKind.ORIGINAL_PROJECTIONS, ResultKind.AVATAR_PROJECTIONS}
)
"""Result kinds that keep the row link between avatars and originals."""

VERDICT_FAILED = 3
"""Exit status of ``avatars anonymize`` when the privacy verdict fails (without
``--accept-risk``); errors exit 1."""

PRIVACY_SUMMARY = (
    "hidden_rate",
    "local_cloaking",
    "distance_to_closest",
    "row_direct_match_protection",
)
SIGNAL_SUMMARY = ("hellinger_mean", "correlation_difference_ratio")


def _serve(args: argparse.Namespace) -> None:
    try:
        from avatar_server.processes.serve import serve
    except ImportError as exc:
        raise SystemExit(
            "avatars serve needs the server extra: pip install 'open-avatars[server]'"
        ) from exc
    serve(args.host, args.port)


def _manager(args: argparse.Namespace) -> Manager:
    from avatars.manager import Manager

    base_url = args.base_url or os.environ.get("AVATAR_BASE_URL")
    if base_url is None:
        return Manager()
    api_key = os.environ.get("AVATAR_API_KEY")
    if not api_key:
        raise SystemExit("a remote server needs an API key: set AVATAR_API_KEY")
    return Manager(base_url=base_url, api_key=api_key)


MISSED_TARGET_MEANING = {
    "hellinger_mean": "some columns' distributions moved more than the target allows (the "
    "report's distribution plots show which); try a lower k",
    "correlation_difference_ratio": "the joint structure between columns is less well kept "
    "than the target; univariate results (each column's distribution, means and spreads) "
    "still hold; try a lower k or a higher ncp",
}
"""What a missed utility target means for the avatars, and what to try: printed under the
metrics, so a FAIL does not leave the reader guessing whether it matters. Missed privacy
targets are explained by the privacy verdict's items, with their remedies."""


def metrics_lines(
    table: str, privacy: list[dict[str, Any]], signal: list[dict[str, Any]]
) -> list[str]:
    """A short, aligned summary of the headline metrics with their targets, then what each
    missed utility target means (:data:`MISSED_TARGET_MEANING`)."""
    lines = [f"{table}:"]
    notes = []
    for results, names in ((privacy, PRIVACY_SUMMARY), (signal, SIGNAL_SUMMARY)):
        for entry in results:
            for name in names:
                value = entry.get(name)
                target = entry.get("targets", {}).get(name)
                passed = entry.get("passed", {}).get(name)
                verdict = "" if passed is None else ("pass" if passed else "FAIL")
                shown = f"{value:.3f}" if isinstance(value, float) else str(value)
                lines.append(f"  {name:<32} {shown:>10}  target {target or '-':<8} {verdict}")
                if passed is False and name in MISSED_TARGET_MEANING:
                    meaning = _noise_bound(entry, name, target) or MISSED_TARGET_MEANING[name]
                    notes.append(f"  {name} missed its target: {meaning}")
    return lines + notes


def _noise_bound(entry: dict[str, Any], name: str, target: Any) -> str | None:
    """For a correlation ratio whose own noise floor is above its target (two random halves
    of the originals differ by more than the target allows: columns barely related), what the
    miss means: not that relations were lost, and no advice to lower k."""
    if name != "correlation_difference_ratio" or not isinstance(target, str):
        return None
    floor = ((entry.get("details") or {}).get(name) or {}).get("floor") or {}
    at_run_size = floor.get("at_run_size")
    try:
        threshold = float(target.split()[-1])
    except ValueError:
        return None
    if not isinstance(at_run_size, (int, float)) or at_run_size < threshold:
        return None
    return (
        f"two random halves of these originals already differ by {at_run_size:.1f} % at "
        f"this size, more than the target {target}: their columns are barely related and the "
        "ratio is mostly noise here, so a miss does not say relations were lost; read the "
        "relations that matter in the report's correlation map (univariate results hold)"
    )


PIA_OPTIONS: dict[str, str] = {
    "data_recipient": "pia_data_recipient",
    "data_type": "pia_data_type",
    "data_subject": "pia_data_subject",
    "sensitivity_level": "pia_sensitivity_level",
    "approver_name": "approver_name",
    "approver_role": "approver_role",
    "approver_organisation": "approver_organisation",
    "approver_date": "approver_date",
}
"""Command-line options (``--data-recipient``...) to the keywords of
:meth:`avatars.runner.Runner.set_pia`, which checks their values."""


def pia_keywords(args: argparse.Namespace) -> dict[str, str]:
    """The privacy-impact and approver options given on the command line, as keywords."""
    return {
        keyword: value
        for option, keyword in PIA_OPTIONS.items()
        if (value := getattr(args, option, None)) is not None
    }


def anonymize(
    manager: Manager,
    data: Path,
    output: Path,
    *,
    k: int | None,
    seed: int | None = None,
    show_progress: bool | None = None,
    drop: Sequence[str] = (),
    pseudonymize: Mapping[str, str] | None = None,
    keep: Mapping[str, str] | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    pia: Mapping[str, str] | None = None,
    keep_formulas: bool = False,
) -> tuple[list[str], dict[str, Any]]:
    """Avatarize one CSV or Parquet file; write avatars, metrics, the release manifest and
    both reports into ``output``.

    Returns the summary lines it printed (they end with where the HTML and PDF reports are,
    the files a user opens next) and the table's privacy verdict. Parameters not given are the
    server's advice; so is how a CSV is written (separator, encoding) unless ``sep`` or
    ``encoding`` says it. ``drop``, ``pseudonymize`` and ``keep`` deal with the columns that
    identify people by themselves (see :meth:`avatars.runner.Runner.add_table`); ``pia`` holds
    the privacy-impact facts and the approver the reports print (keywords of
    :meth:`avatars.runner.Runner.set_pia`). The avatars file is the server's, byte for byte,
    so that ``avatars verify`` finds it in the manifest; when its text cells look like
    formulas, a spreadsheet-safe copy (:mod:`avatar_yaml.spreadsheet_safety`) is written
    beside it unless ``keep_formulas`` (see :mod:`avatars.cli_release`).
    """
    table = TableArgs(
        run_name(data),
        data,
        drop=list(drop),
        pseudonymize=dict(pseudonymize or {}),
        keep=dict(keep or {}),
    )
    lines, verdicts = anonymize_tables(
        manager,
        [table],
        output,
        k=k,
        seed=seed,
        show_progress=show_progress,
        sep=sep,
        encoding=encoding,
        pia=pia,
        keep_formulas=keep_formulas,
    )
    return lines, verdicts[table.name]


def anonymize_tables(
    manager: Manager,
    tables: Sequence[TableArgs],
    output: Path,
    *,
    links: Sequence[LinkArgs] = (),
    advise_links: bool = False,
    name: str | None = None,
    k: int | None,
    seed: int | None = None,
    show_progress: bool | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    pia: Mapping[str, str] | None = None,
    keep_formulas: bool = False,
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Avatarize one table or several linked ones (see :func:`anonymize`): every table is
    uploaded and declared with its keys, the links added (``advise_links``: also those the
    advice proposes, see :meth:`avatars.runner.Runner.advise_links`), and the run checked whole
    before anything runs. Returns the printed lines and each table's privacy verdict."""
    started = time.perf_counter()
    runner = manager.create_runner(name or tables[0].name, seed=seed)
    runner.set_pia(**dict(pia or {}))
    runner.show_progress = show_progress
    for table in tables:
        runner.add_table(
            table.name,
            str(table.path),
            primary_key=table.primary_key,
            foreign_keys=table.foreign_keys or None,
            individual_level=table.individual_level,
            columns_to_drop=table.drop or None,
            pseudonymize=dict(table.pseudonymize) or None,
            keep=dict(table.keep) or None,
            time_series_time=table.time_column,
            sep=sep,
            encoding=encoding,
        )
    for link in links:
        runner.add_link(link.parent, link.parent_field, link.child, link.child_field, link.method)
    advised = advice_lines(runner.advise_links(apply=True)) if advise_links else []
    for line in advised:
        print(line)
    lines: list[str] = []
    names = [table.name for table in tables]
    for table in tables:
        if table.series:
            runner.set_parameters(table.name, **table.series)  # type: ignore[arg-type]
    for table_name in (table.name for table in tables if table.time_column is None):
        # a series table has no k: it is avatarized with its persons
        runner.advise_parameters(table_name)
        if k is not None:
            runner.update_parameters(table_name, k=k)
    runner.run()
    output.mkdir(parents=True, exist_ok=True)
    manifest, manifest_lines = write_manifest(runner, output)
    verdicts: dict[str, dict[str, Any]] = {}
    files: list[str] = []
    saved: list[SavedAvatars] = []
    for table_name in names:
        avatars = save_released_avatars(
            runner, manifest, table_name, output, keep_formulas=keep_formulas
        )
        saved.append(avatars)
        privacy = runner.privacy_metrics(table_name)
        signal = runner.signal_metrics(table_name)
        privacy_path = output / f"{table_name}.privacy_metrics.json"
        signal_path = output / f"{table_name}.signal_metrics.json"
        privacy_path.write_text(json.dumps(privacy, indent=1))
        signal_path.write_text(json.dumps(signal, indent=1))
        verdicts[table_name] = runner.privacy_verdict(table_name)
        if lines:
            lines.append("")
        lines += [*metrics_lines(table_name, privacy, signal), ""]
        lines += verdict_lines(verdicts[table_name])
        files += [*avatars.lines(), f"metrics:  {privacy_path}, {signal_path}"]
    report = runner.display_name if len(names) > 1 else names[0]
    html_report = runner.download_report(output / f"{report}.report.html")
    pdf_report = runner.download_report(output / f"{report}.report.pdf")
    lines += [
        "",
        *files,
        f"run:      {runner.display_name} (set {runner.set_name}), "
        f"{time.perf_counter() - started:.1f} s",
        *manifest_lines,
        *verify_hint(output, saved if manifest else []),
        f"report (HTML): {html_report}",
        f"report (PDF):  {pdf_report}",
    ]
    for line in lines:
        print(line)
    return [*advised, *lines], verdicts


def verdict_lines(verdict: dict[str, Any]) -> list[str]:
    """The verdict first, then each failed item with its remedy."""
    lines = [f"privacy verdict: {str(verdict['status']).upper()}"]
    for item in verdict["items"]:
        if not item["passed"]:
            lines.append(f"  {item['name']}: {item['reason']}; remedy: {item['remedy']}")
    return lines


def _anonymize(args: argparse.Namespace) -> None:
    paths = table_paths(args.data, args.table)
    tables, links = declared_tables(
        paths,
        primary_keys=args.primary_key,
        foreign_keys=args.foreign_key,
        individual_level=args.individual_level,
        drop=args.drop,
        pseudonymize=args.pseudonymize,
        keep=args.keep,
        links=args.link,
        time_columns=args.time_column,
        series=args.series,
    )
    several = len(tables) > 1
    name = args.name or (run_name(Path(args.data)) if args.data and several else None)
    _, verdicts = anonymize_tables(
        _manager(args),
        tables,
        Path(args.output),
        links=links,
        advise_links=args.advise_links,
        name=name,
        k=args.k,
        seed=args.seed,
        show_progress=False if args.quiet else None,
        sep=args.sep,
        encoding=args.encoding,
        pia=pia_keywords(args),
        keep_formulas=args.keep_formulas,
    )
    failed = {table: v["status"] for table, v in verdicts.items() if v["status"] != "pass"}
    if failed and not args.accept_risk:
        status = (
            next(iter(failed.values()))
            if not several
            else "not pass for " + ", ".join(f"{t} ({v})" for t, v in failed.items())
        )
        print(
            f"avatars anonymize: the privacy verdict is {status}: the avatars were "
            "written but should not be shared as they are (remedies above); --accept-risk "
            "exits 0 anyway",
            file=sys.stderr,
        )
        sys.exit(VERDICT_FAILED)


def _run(args: argparse.Namespace) -> None:
    path = Path(args.config)
    if not path.is_file():
        raise SystemExit(f"no such file: {path}")
    manager = _manager(args)
    from avatars.official_yaml import read_run_yaml

    started = time.perf_counter()
    config = read_run_yaml(manager.auth_client, path.read_text(encoding="utf-8"))
    runner = manager.create_runner(args.name or config.display_name)
    runner.adopt(config)
    runner.set_pia(**pia_keywords(args))
    runner.show_progress = False if args.quiet else None
    runner.run()
    if args.no_wait:
        for line in still_running_lines(runner):
            print(line)
        return
    failed = wait_for_run(runner)
    lines: list[str] = []
    if not failed and {PRIVACY_METRICS_NAME, SIGNAL_METRICS_NAME} <= set(runner.jobs):
        for table in runner.measured_tables():
            lines += metrics_lines(
                table, runner.privacy_metrics(table), runner.signal_metrics(table)
            )
            lines += ["", *verdict_lines(runner.privacy_verdict(table)), ""]
    lines += job_lines(runner)
    lines.append(
        f"run: {runner.display_name} (set {runner.set_name}), {time.perf_counter() - started:.1f} s"
    )
    if args.output and not failed:
        lines += [
            "",
            *write_run_results(runner, Path(args.output), keep_formulas=args.keep_formulas),
        ]
    else:
        lines.append("a job's files: avatars results JOB --download DIR (JOB from the list above)")
    for line in lines:
        print(line)
    if failed:
        raise SystemExit(f"avatars run: {failed[0]}")


def wait_for_run(runner: Runner) -> list[AvatarError]:
    """Wait for every job of the run, in the order they run, each with its progress bar;
    returns the failures (a failed job's dependents fail too, so all are waited for)."""
    from avatars._waiting import wait_for_job
    from avatars.errors import JobFailedError

    failed: list[AvatarError] = []
    for document, job_name in runner.jobs.items():
        try:
            wait_for_job(
                runner.client,
                job_name,
                show_progress=runner.show_progress,
                label=f"{runner.display_name}: {job_words(document)}",
            )
        except JobFailedError as error:
            failed.append(error)
    return failed


def job_lines(runner: Runner) -> list[str]:
    """Each job of the run: what it does, its status and its name (for ``avatars results``)."""
    lines = [f"{'job':<30} {'status':<10} name"]
    for document, job in runner.get_jobs().items():
        lines.append(f"{job_words(document):<30} {job.status!s:<10} {job.name}")
        if job.error:
            lines.append(f"    {job.error}")
    return lines


def still_running_lines(runner: Runner) -> list[str]:
    """What ``avatars run --no-wait`` leaves running, and how to follow it and get its files."""
    return [
        *job_lines(runner),
        f"run: {runner.display_name} (set {runner.set_name}): started, still running",
        f"follow it: avatars jobs --name {runner.display_name}",
        "then a job's files: avatars results JOB --download DIR (JOB from the list above)",
    ]


def write_run_results(runner: Runner, output: Path, *, keep_formulas: bool = False) -> list[str]:
    """Write the release manifest, the avatars and metrics of each measured table (the
    avatars only when the run made them: the server's bytes, which the manifest hashes, see
    :func:`avatars.cli_release.save_released_avatars`) and the reports into ``output``;
    returns the lines saying where each file is and how to verify the avatars. A CSV whose
    text cells look like formulas also gets a spreadsheet-safe copy unless ``keep_formulas``."""
    from avatar_yaml import ReportType

    output.mkdir(parents=True, exist_ok=True)
    manifest, manifest_lines = write_manifest(runner, output)
    lines = []
    saved: list[SavedAvatars] = []
    for table in runner.measured_tables():
        if PARAMETERS_NAME in runner.jobs:  # not for avatars the user brought
            avatars = save_released_avatars(
                runner, manifest, table, output, keep_formulas=keep_formulas
            )
            saved.append(avatars)
            lines += avatars.lines()
        measured = []
        for document, read in (
            (PRIVACY_METRICS_NAME, runner.privacy_metrics),
            (SIGNAL_METRICS_NAME, runner.signal_metrics),
        ):
            if document in runner.jobs:
                path = output / f"{table}.{document}.json"
                path.write_text(json.dumps(read(table), indent=1))
                measured.append(str(path))
        if measured:
            lines.append(f"metrics:  {', '.join(measured)}")
    lines += [*manifest_lines, *verify_hint(output, saved if manifest else [])]
    for report_type in ReportType:
        if report_name(report_type) in runner.jobs:
            written = runner.download_report(output, report_type)
            files = written if isinstance(written, list) else [written]
            what = job_words(report_name(report_type))
            lines.append(f"{what}: {', '.join(str(path) for path in sorted(files))}")
    return lines


def _jobs(args: argparse.Namespace) -> None:
    client = _manager(args).auth_client
    jobs = client.jobs.get_jobs(display_name=args.name, limit=args.limit).jobs
    if not jobs:
        print("no jobs")
        return
    print(f"{'name':<34} {'run':<24} {'job':<18} {'status':<10} {'progress':>8}  created")
    for job in jobs:
        # The document name tells a run's jobs apart (report and report_pia share one kind).
        print(
            f"{job.name:<34} {job.display_name[:24]:<24} {job.parameters_name[:18]:<18} "
            f"{job.status:<10} {job.progress:>8.0%}  {job.created_at:%Y-%m-%d %H:%M:%S}"
        )
        if job.error:
            print(f"    {job.error}")


def schema_lines(dataset: DatasetOut) -> list[str]:
    """A dataset's schema as aligned lines: per column its type, missing and distinct counts,
    and the role the server detected, with why. Risky roles are starred."""
    from avatar_yaml import RISKY_ROLES

    width = max([len("column"), *(len(c.name) for c in dataset.columns)])
    lines = [
        f"{dataset.name} ({dataset.id}): {dataset.rows:,} rows, {dataset.column_count} columns",
        f"{'column':<{width}}  {'dtype':<10} {'missing':>9} {'distinct':>9}  {'role':<19} why",
    ]
    risky = False
    for column in dataset.columns:
        star = "*" if column.role in RISKY_ROLES else " "
        risky = risky or star == "*"
        lines.append(
            f"{column.name:<{width}}  {column.dtype:<10} {column.missing:>9,} "
            f"{column.distinct:>9,}  {column.role + star:<19} {column.role_reason}"
        )
    if risky:
        lines.append("* identifies people by itself: a run must drop, pseudonymize or keep it")
    return lines


def _convert(args: argparse.Namespace) -> None:
    """A run's YAML rewritten in the other dialect: the official client's, or ours."""
    path = Path(args.config)
    if not path.is_file():
        raise SystemExit(f"no such file: {path}")
    if args.allow_loss and args.to != "official":
        raise SystemExit(
            "avatars convert: --allow-loss only applies with --to official (our dialect "
            "says everything the official one does)"
        )
    from avatars.official_yaml import official_yaml, read_run_yaml

    client = _manager(args).auth_client
    config = read_run_yaml(client, path.read_text(encoding="utf-8"))
    if args.to == "official":
        datasets = client.datasets.list_datasets()
        text = official_yaml(config, datasets, allow_loss=args.allow_loss)
    else:
        text = config.to_yaml()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _datasets(args: argparse.Namespace) -> None:
    client = _manager(args).auth_client
    if args.dataset:
        for line in schema_lines(client.datasets.get_dataset(args.dataset)):
            print(line)
        return
    datasets = client.datasets.list_datasets()
    if not datasets:
        print("no datasets")
        return
    print(f"{'id':<36}  {'name':<30} {'rows':>10} {'columns':>7}  created")
    for dataset in datasets:
        print(
            f"{dataset.id!s:<36}  {dataset.name[:30]:<30} {dataset.rows:>10,} "
            f"{dataset.column_count:>7}  {dataset.created_at:%Y-%m-%d %H:%M:%S}"
        )


def _results(args: argparse.Namespace) -> None:
    client = _manager(args).auth_client
    listing = client.results.get_results(args.job)
    if listing.status != "done":
        why = f": {listing.error}" if listing.error else ""
        raise SystemExit(f"job {args.job} is {listing.status}, it has no results yet{why}")
    files = listing.files
    for entry in files:
        print(f"{entry.kind:<22} {entry.table or '-':<20} {entry.name:<40} {entry.size:>10} B")
    if args.download:
        target = Path(args.download)
        kept = [e for e in files if args.sensitive or e.kind not in SENSITIVE_RESULTS]
        from avatar_yaml.spreadsheet_safety import FORMULA_STARTS_IN_WORDS

        copies: list[str] = []
        neutralized = 0
        for entry in kept:
            # As stored, so that a released file matches its release manifest entry.
            path = client.results.download_file(
                args.job, entry.name, target / entry.name, neutralize_formulas=False
            )
            if entry.file_format == "csv":
                copy, count = write_spreadsheet_copy(path, keep_formulas=args.keep_formulas)
                if copy is not None:
                    copies.append(copy.name)
                    neutralized += count
        print(f"downloaded {len(kept)} file(s) to {target}, as the server stored them")
        if copies:
            print(
                f"{neutralized:,} text cell(s) begin with {FORMULA_STARTS_IN_WORDS}: a "
                f"spreadsheet would run them as formulas; {', '.join(copies)}: the same with "
                "an apostrophe in front of each, to open in a spreadsheet (not to share: no "
                "release manifest names them; --keep-formulas: no such copy)"
            )
        left = sorted({e.kind for e in files if e not in kept})
        if left:
            print(
                f"not downloaded: {', '.join(left)} (the avatars in the originals' row order and "
                "the projections link each avatar to its person: never share them; "
                "--sensitive downloads them anyway)"
            )


def _verify(args: argparse.Namespace) -> None:
    """Check released files against a release manifest; the exit status says whether each
    may be shared (0), belongs to a table that failed its verdict (3), or is not a file the
    manifest clears (4: modified, from another run, the input or the unshuffled avatars)."""
    try:
        checked = verify_files(
            Path(args.manifest), [Path(path) for path in args.files], accept_risk=args.accept_risk
        )
    except FileNotFoundError as error:
        sys.exit(f"avatars verify: {error}")
    for line in checked.lines:
        print(line)
    if checked.status == VERIFY_REFUSED:
        print(
            "avatars verify: not a file this manifest clears for sharing (see above): share "
            "the shuffled avatars exactly as the server wrote them",
            file=sys.stderr,
        )
    if checked.status:
        sys.exit(checked.status)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avatars", description="Anonymize tabular data into avatars."
    )
    parser.add_argument("--version", action="version", version=f"avatars {client_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run an avatars server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.set_defaults(handler=_serve)

    def report_facts(command: argparse.ArgumentParser, note: str) -> None:
        from avatar_yaml import DataRecipient, DataSubject, DataType, SensitivityLevel
        from avatar_yaml.vocabulary import described

        group = command.add_argument_group(
            "privacy impact and approver (printed in the reports; what is not given reads "
            f"'to be completed'{note})"
        )
        for option, choices in (
            ("--data-recipient", DataRecipient),
            ("--data-type", DataType),
            ("--data-subject", DataSubject),
            ("--sensitivity-level", SensitivityLevel),
        ):
            group.add_argument(option, metavar="VALUE", help=f"one of {described(choices)}")
        group.add_argument("--approver-name", metavar="NAME", help="who approves the release")
        group.add_argument("--approver-role", metavar="ROLE", help="e.g. 'Data protection officer'")
        group.add_argument(
            "--approver-organisation", metavar="ORG", help="the approver's organisation"
        )
        group.add_argument("--approver-date", metavar="YYYY-MM-DD", help="the date of approval")

    def remote(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--base-url",
            help="server API URL (default AVATAR_BASE_URL, else the embedded local server)",
        )

    anonymize_ = commands.add_parser(
        "anonymize", help="avatarize a CSV/Parquet file: avatars, metrics, HTML and PDF reports"
    )
    anonymize_.add_argument(
        "data",
        nargs="?",
        help="the table (CSV with a header row, or Parquet), or a folder of them: one table "
        "per file, named by its stem",
    )
    anonymize_.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a table to avatarize with the others (repeatable; with FILE or a folder too)",
    )
    anonymize_.add_argument(
        "--name", help="run name (default: the file's or folder's name, else the first table's)"
    )
    anonymize_.add_argument("-k", type=int, default=None, help="neighbours (default: advised)")
    anonymize_.add_argument("-o", "--output", default="avatars-output", help="output folder")
    anonymize_.add_argument("--seed", type=int, default=None, help="for a reproducible run")
    anonymize_.add_argument(
        "--sep",
        default=None,
        help="the CSV's separator, one character ('\\t' for a tab; default: detected among "
        ", ; tab |); needed to upload a one-column file whose header holds ; tab or |",
    )
    anonymize_.add_argument(
        "--encoding",
        default=None,
        help="the CSV's encoding, e.g. utf-8, utf-16, cp1252, latin-1 (default: detected: "
        "UTF-8, else Windows-1252, else Latin-1; a byte order mark says UTF-16 or UTF-32)",
    )
    anonymize_.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    anonymize_.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="leave a column out"
    )
    anonymize_.add_argument(
        "--pseudonymize",
        action="append",
        default=[],
        metavar="COLUMN=KIND",
        help="replace a column by pseudonyms: UUID4, HASH_SHA256, INTEGER (repeatable)",
    )
    anonymize_.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN=MODE",
        help="keep an identifying column: grouped (values k originals hold) or as_is (the risk "
        "accepted; the verdict fails)",
    )
    linked = anonymize_.add_argument_group(
        "linked tables (with several tables, a column is named TABLE.COLUMN in --drop, "
        "--pseudonymize and --keep)"
    )
    linked.add_argument(
        "--primary-key",
        action="append",
        default=[],
        metavar="TABLE=COLUMN",
        help="a table's primary key (COLUMN alone for a single table)",
    )
    linked.add_argument(
        "--foreign-key",
        action="append",
        default=[],
        metavar="TABLE=COLUMN",
        help="a foreign key of a child table, to link from its parent (repeatable)",
    )
    linked.add_argument(
        "--individual-level",
        action="append",
        default=[],
        metavar="TABLE=true|false",
        help="whether each row of a table is one person (default: true for a table with no "
        "parent, false for a child)",
    )
    linked.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="PARENT.KEY=CHILD.FK[:METHOD]",
        help="link a parent's primary key to a child's foreign key; METHOD: "
        "linear_sum_assignment (default), minimum_distance_assignment, "
        "sensitive_original_order_assignment, or time_series (a series table, from its "
        "persons' table)",
    )
    linked.add_argument(
        "--time-column",
        action="append",
        default=[],
        metavar="TABLE=COLUMN",
        help="makes TABLE a series table (one row per person and time: one foreign key to its "
        "persons' table, linked with :time_series), ordered by COLUMN (numbers or dates)",
    )
    linked.add_argument(
        "--series",
        action="append",
        default=[],
        metavar="TABLE.SETTING=VALUE",
        help="tune a series table (repeatable): projection_type (fpca or flatten), nf, "
        "block_weight, method (specified, max, min, mean), nb_points (with specified), "
        "unalignment (uniform or skip); unset, the engine's defaults apply",
    )
    linked.add_argument(
        "--advise-links",
        action="store_true",
        help="add the links advised from the tables' and columns' names and the upload's "
        "counts (printed with their confidence), for foreign keys not linked by --link",
    )
    anonymize_.add_argument(
        "--accept-risk",
        action="store_true",
        help=f"exit 0 even when the privacy verdict fails (default: exit {VERDICT_FAILED})",
    )
    anonymize_.add_argument(
        "--keep-formulas",
        action="store_true",
        help="write no spreadsheet-safe copy (default: a CSV whose text cells begin with = + "
        "- @ gets a copy beside it with an apostrophe in front of those, so that spreadsheets "
        "do not run them as formulas; the file itself is always the server's bytes)",
    )
    report_facts(anonymize_, "")
    remote(anonymize_)
    anonymize_.set_defaults(handler=_anonymize)

    run = commands.add_parser(
        "run",
        help="run the jobs of a saved run configuration (YAML), wait for all of them, print "
        "the metrics and where the results are",
    )
    run.add_argument(
        "config",
        help="the run's YAML (as written by runner.get_yaml, or by the official client: its "
        "files are found among your datasets)",
    )
    run.add_argument("--name", help="run name (default: the YAML's display name)")
    run.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="also write the avatars, metrics and reports (HTML, PDF; PIA also DOCX) into DIR",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="return once the jobs are started; prints how to follow them and get their files",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    run.add_argument(
        "--keep-formulas",
        action="store_true",
        help="write no spreadsheet-safe copy (default: a CSV whose text cells begin with = + "
        "- @ gets a copy beside it with an apostrophe in front of those, so that spreadsheets "
        "do not run them as formulas; the file itself is always the server's bytes)",
    )
    report_facts(run, "; each given replaces the YAML's value")
    remote(run)
    run.set_defaults(handler=_run)

    convert = commands.add_parser(
        "convert",
        help="rewrite a run's YAML in the official client's dialect, or an official one in "
        "ours (its files found among your datasets)",
    )
    convert.add_argument("config", help="the run's YAML, in either dialect")
    convert.add_argument(
        "--to", choices=("official", "avatars"), required=True, help="the dialect to write"
    )
    convert.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    convert.add_argument(
        "--allow-loss",
        action="store_true",
        help="with --to official: leave out, listed in comments, what that dialect cannot say "
        "(default: refuse, listing it)",
    )
    remote(convert)
    convert.set_defaults(handler=_convert)

    verify = commands.add_parser(
        "verify",
        help="check that files are released avatars a run's release manifest names and "
        "clears for sharing",
    )
    verify.add_argument("manifest", help="the run's release_manifest.json")
    verify.add_argument("files", nargs="+", metavar="FILE", help="the file(s) to check")
    verify.add_argument(
        "--accept-risk",
        action="store_true",
        help=f"exit 0 for a file whose table failed its privacy verdict (default: exit "
        f"{VERDICT_FAILED})",
    )
    verify.set_defaults(handler=_verify)

    jobs = commands.add_parser("jobs", help="list your jobs, newest first")
    jobs.add_argument("--name", help="only the jobs of this run name")
    jobs.add_argument("--limit", type=int, default=20)
    remote(jobs)
    jobs.set_defaults(handler=_jobs)

    datasets = commands.add_parser(
        "datasets", help="list your uploaded tables, or show one's columns and their roles"
    )
    datasets.add_argument("dataset", nargs="?", help="a dataset id: show its columns")
    remote(datasets)
    datasets.set_defaults(handler=_datasets)

    results = commands.add_parser("results", help="list (and download) a job's result files")
    results.add_argument("job", help="the job name")
    results.add_argument(
        "--download",
        metavar="DIR",
        help="save the files into DIR (not the row-linked ones: unshuffled avatars, projections)",
    )
    results.add_argument(
        "--sensitive",
        action="store_true",
        help="with --download, also save the row-linked files (never to be shared)",
    )
    results.add_argument(
        "--keep-formulas",
        action="store_true",
        help="write no spreadsheet-safe copy (default: a CSV whose text cells begin with = + "
        "- @ gets a copy beside it with an apostrophe in front of those, so that spreadsheets "
        "do not run them as formulas; the file itself is always the server's bytes)",
    )
    remote(results)
    results.set_defaults(handler=_results)
    return parser


def _show_warning(message: Warning | str, *_context: Any, **_more: Any) -> None:
    """A warning as one line for people (``warning: ...``), not Python's source location
    (the signature of :func:`warnings.showwarning`, whose other arguments say where)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    warnings.showwarning = _show_warning
    from avatars.errors import AvatarError

    try:
        args.handler(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except (AvatarError, ValueError) as error:
        sys.exit(f"avatars {args.command}: {error}")
