"""What an indexing job did, and its summary line."""
from dataclasses import dataclass, field
from typing import Dict, List, Set, Tuple


@dataclass
class JobReport:
    files: int  # listed by the job (all runs)
    shards: int
    shards_skipped: int  # already done by an earlier run
    state: str  # the job's state folder
    sink: str
    written: int = 0  # images written by this run
    failed: int = 0
    not_images: int = 0
    shards_written: int = 0
    failures: List[Tuple[str, str]] = field(default_factory=list)  # this run's (path, message)
    decoded_by: Set[str] = field(default_factory=set)   # "node id:pid" of the decode tasks
    embedded_by: Set[str] = field(default_factory=set)  # "actor id:pid" of the embedders
    seconds: float = 0.0
    skipped_locations: Dict[str, str] = field(default_factory=dict)

    def add_shard(self, summary: Dict[str, int], failures: List[Tuple[str, str]]) -> None:
        self.written += summary["written"]
        self.failed += summary["failed"]
        self.not_images += summary["not_images"]
        self.shards_written += 1
        self.failures += failures

    @property
    def nodes(self) -> Set[str]:
        """The cluster nodes whose workers decoded files."""
        return {w.split(":", 1)[0] for w in self.decoded_by}

    @property
    def actors(self) -> Set[str]:
        """The embedding actors (one id across its restarts)."""
        return {w.split(":", 1)[0] for w in self.embedded_by}

    def summary(self) -> str:
        rate = self.written / self.seconds if self.seconds > 0 else 0.0
        line = (f"clipsearch.distributed: {self.written} images written to {self.sink} in "
                f"{self.shards_written} shards ({self.shards_skipped} of {self.shards} done "
                f"before), {self.failed} failed, {self.not_images} not images; "
                f"{len(self.decoded_by)} decode workers on {len(self.nodes)} nodes, "
                f"{len(self.actors)} embedding actors; {self.seconds:.1f} s, "
                f"{rate:.1f} images/s; state: {self.state}")
        for root, why in sorted(self.skipped_locations.items()):
            line += f"\n  skipped {root}: {why}"
        return line
