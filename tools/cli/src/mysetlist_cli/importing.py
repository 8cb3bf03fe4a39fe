"""`mysetlist import`: start an import and follow it live (SSE through the gateway) to a summary."""

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from mysetlist_cli.gateway import Gateway
from mysetlist_cli.render import PHASES, fmt_counts, phase_table, waiting_text
from mysetlist_common.web.sse import SseEvent
from mysetlist_common.web.status import ImportStatusDocument


class PhaseBars:
    """One Rich progress bar per phase, fed by status snapshots and phase events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {
            name: progress.add_task(name, total=None, start=False, detail="waiting") for name in PHASES
        }
        self.phases: dict[str, dict[str, Any]] = {name: {"state": "pending", "done": 0} for name in PHASES}

    def set(self, name: str, **changes: Any) -> None:
        phase = self.phases.setdefault(name, {"state": "pending", "done": 0})
        phase.update(changes)
        task = self.tasks.get(name)
        if task is None:
            return
        state, done, total = phase["state"], phase.get("done", 0), phase.get("total")
        if state != "pending":
            self.progress.start_task(task)
        if state == "completed":
            total = total or done or 1
            done = total
            detail = f"done in {phase.get('duration') or 0:.1f} s"
        elif state == "failed":
            detail = f"[red]failed: {phase.get('error') or 'unknown error'}[/]"
        elif state == "waiting":
            detail = f"[yellow]{waiting_text(phase.get('waiting_for'), phase.get('resume_at'))}[/]"
        elif total is not None:
            detail = f"{done} of {total}"
        else:
            detail = phase.get("message") or state
        self.progress.update(task, completed=done, total=total, detail=detail)

    def apply_status(self, status: ImportStatusDocument) -> None:
        for name, phase in status.phases.items():
            self.set(name, **phase.model_dump())

    def apply_event(self, event: SseEvent) -> dict[str, Any] | None:
        """Update the bars; return the ImportFinished payload when the import settled."""
        payload = event.data.get("payload", {}) if isinstance(event.data, dict) else {}
        name = str(payload.get("phase", ""))
        if event.event == "PhaseStarted":
            self.set(name, state="running")
        elif event.event == "PhaseProgress":
            self.set(
                name, state="running", done=payload.get("done", 0), total=payload.get("total"),
                message=payload.get("message", ""),
            )  # fmt: skip
        elif event.event == "PhaseWaiting":
            self.set(
                name,
                state="waiting",
                waiting_for=payload.get("waiting_for"),
                resume_at=payload.get("resume_at"),
            )
        elif event.event == "PhaseCompleted":
            counts = payload.get("counts", {})
            self.set(name, state="completed", counts=counts, duration=payload.get("duration_s"))
        elif event.event == "PhaseFailed":
            self.set(name, state="failed", error=payload.get("error"), duration=payload.get("duration_s"))
        elif event.event == "ImportFinished":
            return dict(payload)
        return None


def follow(gateway: Gateway, artist_id: str, console: Console) -> ImportStatusDocument:
    """Show live bars until the import settles; return the final status (from the status endpoint)."""
    progress = Progress(
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    bars = PhaseBars(progress)
    with progress:
        for event in gateway.stream(artist_id):
            if not console.is_terminal and event.event not in ("status", "PhaseProgress"):
                console.print(_line(event))  # logs and pipes get one line per phase milestone
            if event.event == "status":
                bars.apply_status(event.data)
            elif bars.apply_event(event) is not None:
                break
    # the status endpoint has the settled figures (durations, counts, the failing phase's reason)
    return gateway.status(artist_id)


def _line(event: SseEvent) -> str:
    payload = event.data.get("payload", {}) if isinstance(event.data, dict) else {}
    phase = payload.get("phase", "import")
    if event.event == "PhaseCompleted":
        return f"{phase}: completed ({fmt_counts(payload.get('counts'))})"
    if event.event == "PhaseFailed":
        return f"{phase}: failed: {payload.get('error')}"
    if event.event == "PhaseWaiting":
        return f"{phase}: {waiting_text(payload.get('waiting_for'), payload.get('resume_at'))}"
    if event.event == "ImportFinished":
        return f"import {payload.get('outcome')}"
    return f"{phase}: started" if event.event == "PhaseStarted" else f"{phase}: {event.event}"


def summary(console: Console, name: str, status: ImportStatusDocument) -> None:
    console.print(phase_table(f"{name}: import {status.stage}", status.phases))
    if status.stage == "failed":
        console.print(f"[red]import failed:[/] {status.message or 'no reason given'}")
        for phase_name, phase in status.phases.items():
            if phase.state == "failed":
                console.print(f"  {phase_name}: {phase.error or 'no reason given'}", markup=False)
