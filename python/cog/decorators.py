"""Cog >= 0.21 decorators, accepted so that models written for newer Cog import and run.

`@cog.streaming` marks a predictor whose output Cog >= 0.21 can send as Server-Sent Events;
Replicant's platform streams every iterator output already, so the mark changes nothing here.
`@cog.concurrent(max=N)` is Cog >= 0.22's spelling of cog.yaml's `concurrency.max`; Replicant
reads the limit from cog.yaml only, so declare it there too (Cog lets cog.yaml win as well).
"""

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def streaming(fn: F) -> F:
    """Marks `fn` as a streaming predictor (no effect under Replicant)."""
    fn.__cog_streaming__ = True  # type: ignore[attr-defined]
    return fn


def concurrent(max: int = 1) -> Callable[[F], F]:  # noqa: A002 - Cog's parameter name
    """Records a concurrency limit on `fn`; Replicant takes the limit from cog.yaml."""
    if not isinstance(max, int) or isinstance(max, bool) or max < 1:
        raise ValueError("cog.concurrent(max=N) needs a whole number N of at least 1")

    def mark(fn: F) -> F:
        fn.__cog_concurrent_max__ = max  # type: ignore[attr-defined]
        return fn

    return mark
