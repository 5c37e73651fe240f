"""Territories of a big day: a partition of its technicians and jobs by geography and work.

:func:`partition` (used by :mod:`.decompose`): weighted k-means (k-means++ start, seeded; each
territory capped at 105 % of an even share of the weight) on the job addresses (weight: service
technician-minutes) and the technicians' depots (a tenth of that weight), in a local plane (km)
built from lat/lon or x/y; without coordinates (matrix or node-only locations) each place is
embedded by its travel times to a few far-apart landmarks. Technicians who may work alone are
placed one by one, those of the scarcest trades first, where they fill most of a territory's
unmet work in their trades, weighed against the distance from their depot and the territory's
share of the capacity; trainees go in proportion to the crew work. Technicians tied by a pin
(a mentor and his trainee) move together; a pinned job goes where its technician is; a job
whose territory has no qualified lead (or too few qualified members for its crew) moves to the
nearest territory that has them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import rules
from ..domain import Job, Problem, Technician
from ..errors import ParameterError

TERRITORY_TECHNICIANS = 30
"""Technicians per territory aimed at (territories hold 20-40 on days big enough)."""
MIN_TERRITORY_TECHNICIANS = 20
_KMEANS_ROUNDS = 15
_DEPOT_WEIGHT = 0.1           # the depots' share of the k-means weight, against the jobs' 1
_BALANCE = 0.05              # a territory holds at most 105 % of an even share of the weight
_LANDMARKS = 8                 # travel-time embedding of places without coordinates
_DISTANCE_KM = 8.0             # technician placement: this much further weighs one full usefulness


@dataclass(frozen=True)
class Territory:
    """A part of the day: its technicians and jobs (ids, in problem order) and its centre."""

    index: int
    technicians: tuple[str, ...]
    jobs: tuple[str, ...]
    centre: tuple[float, ...]
    work_s: float                      # service technician-seconds of its dispatchable jobs


# ------------------------------------------------------------------------------------------
# partition
# ------------------------------------------------------------------------------------------
def default_territories(problem: Problem) -> int:
    """How many territories ``problem`` is split into: about 30 technicians each, at least 20."""
    n = sum(1 for t in problem.technicians if not t.trainee)
    return max(1, min(round(n / TERRITORY_TECHNICIANS), n // MIN_TERRITORY_TECHNICIANS))


def partition(problem: Problem, n_territories: int, *, seed: int = 0) -> list[Territory]:
    """Split ``problem`` into ``n_territories`` territories (module doc, step 1)."""
    if isinstance(n_territories, bool) or not isinstance(n_territories, int) or n_territories < 1:
        raise ParameterError(f"n_territories: must be a positive integer, got {n_territories!r}")
    k = min(n_territories, max(1, sum(1 for t in problem.technicians if not t.trainee)))
    job_xy, tech_xy = _plane(problem)
    job_w = np.array([_work_s(j) for j in problem.jobs], dtype=float)
    tech_cap = np.array([0.0 if t.trainee else _capacity_s(t) for t in problem.technicians])
    # Depots pull the centres a little (a tenth of the weight); the work decides the balance.
    scale = _DEPOT_WEIGHT * job_w.sum() / tech_cap.sum() if tech_cap.sum() > 0 and job_w.sum() > 0 else 1.0
    points = np.vstack([job_xy, tech_xy]) if len(job_xy) else tech_xy
    weights = np.concatenate([np.maximum(job_w, 1.0), np.maximum(tech_cap * scale, 1.0)])
    centres, labels = _kmeans(points, weights, k, seed)
    job_terr = labels[:len(job_xy)].copy()
    work = np.bincount(job_terr, weights=job_w, minlength=k) if len(job_xy) else np.ones(k)
    crew_w = np.array([_work_s(j) * (j.crew_size - 1) / j.crew_size if j.crew_size > 1 else 0.0
                       for j in problem.jobs])
    crew_work = np.bincount(job_terr, weights=crew_w, minlength=k) if len(job_xy) else np.zeros(k)
    tech_terr = np.full(len(problem.technicians), -1)
    solo = [i for i, t in enumerate(problem.technicians) if not t.trainee]
    trainees = [i for i, t in enumerate(problem.technicians) if t.trainee]
    _assign_by_trade(problem, tech_terr, solo, tech_cap, job_terr, job_w, tech_xy, centres)
    _assign(tech_terr, trainees, np.ones(len(problem.technicians)), crew_work + 1e-9, tech_xy, centres)
    _keep_pinned_together(problem, tech_terr)
    _place_jobs(problem, job_terr, tech_terr, job_xy, centres)
    staffed = np.bincount(tech_terr, minlength=k) > 0
    for n in np.flatnonzero(~staffed[job_terr]):      # no technician at all: the nearest that has
        dist = ((centres - job_xy[n]) ** 2).sum(-1)
        job_terr[n] = int(np.argmin(np.where(staffed, dist, np.inf)))
    out = []
    for i in range(k):
        techs = tuple(t.id for n, t in enumerate(problem.technicians) if tech_terr[n] == i)
        jobs = tuple(j.id for n, j in enumerate(problem.jobs) if job_terr[n] == i)
        if techs or jobs:
            out.append(Territory(len(out), techs, jobs, tuple(float(c) for c in centres[i]),
                                 float(sum(_work_s(problem.job(j)) for j in jobs))))
    return out


def _work_s(job: Job) -> float:
    return float(job.duration_s * job.crew_size) if job.dispatchable else 0.0


def _capacity_s(tech: Technician) -> float:
    """Working seconds of a technician: shifts minus breaks, capped by max_work_s."""
    total = sum(s.end_s - s.start_s for s in tech.shifts) - sum(b.duration_s for b in tech.breaks)
    if tech.max_work_s is not None:
        total = min(total, tech.max_work_s)
    return float(max(total, 0))


def _plane(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(jobs, 2+) and (technicians, 2+) coordinates in a local plane (km), or a landmark
    embedding (travel seconds to far-apart places) when some place has no coordinates."""
    places = [j.location for j in problem.jobs] + [t.start for t in problem.technicians]
    if all(p.lat is not None and p.lon is not None for p in places):
        lat = np.array([float(p.lat) for p in places])
        lon = np.array([float(p.lon) for p in places])
        xy = np.column_stack([(lon - lon.mean()) * 111.2 * math.cos(math.radians(lat.mean())),
                              (lat - lat.mean()) * 111.2])
    elif all(p.x is not None and p.y is not None for p in places):
        xy = np.array([(float(p.x), float(p.y)) for p in places])
    else:
        xy = _landmark_embedding(problem, places)
    return xy[:len(problem.jobs)], xy[len(problem.jobs):]


def _landmark_embedding(problem: Problem, places) -> np.ndarray:
    from ..travel import matrix_of

    matrix = matrix_of(problem)
    rows = np.array([matrix.index(p) for p in places])
    chosen = [int(rows[0])]
    far = matrix.seconds[rows[0], rows].astype(float)
    for _ in range(min(_LANDMARKS, len(rows)) - 1):
        nxt = int(rows[int(np.argmax(far))])
        chosen.append(nxt)
        far = np.minimum(far, matrix.seconds[nxt, rows])
    seconds = matrix.seconds[np.ix_(rows, chosen)] + matrix.seconds[np.ix_(chosen, rows)].T
    return seconds.astype(float) / 120.0     # minutes, both ways averaged


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted, balanced k-means (k-means++ start): (centres, label of every point)."""
    rng = np.random.default_rng(seed)
    centres = [points[int(rng.choice(len(points), p=weights / weights.sum()))]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1) * weights
        if d2.sum() <= 0:
            centres.append(points[int(rng.integers(len(points)))])
        else:
            centres.append(points[int(rng.choice(len(points), p=d2 / d2.sum()))])
    centres = np.array(centres, dtype=float)
    # Lloyd rounds with a capacity on each territory (its share of the weight + _BALANCE):
    # territories of comparable work even where the jobs crowd into a few hot spots.
    cap = weights.sum() / k * (1 + _BALANCE)
    labels = np.zeros(len(points), dtype=int)
    for _ in range(_KMEANS_ROUNDS):
        d2 = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
        labels = _capped_labels(d2, weights, cap)
        moved = centres.copy()
        for i in range(k):
            mask = labels == i
            if mask.any():
                moved[i] = np.average(points[mask], axis=0, weights=weights[mask])
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres, labels


def _capped_labels(d2: np.ndarray, weights: np.ndarray, cap: float) -> np.ndarray:
    """Each point to its nearest centre that has room left (pairs taken nearest first)."""
    n, k = d2.shape
    labels = np.full(n, -1)
    load = np.zeros(k)
    flat = np.argsort(d2, axis=None, kind="stable")
    for p, c in zip(*np.unravel_index(flat, d2.shape)):
        if labels[p] < 0 and load[c] + weights[p] <= cap:
            labels[p] = c
            load[c] += weights[p]
    rest = labels < 0
    labels[rest] = np.argmin(d2[rest], axis=1)      # heavier than any room left: nearest
    return labels


def _assign(tech_terr: np.ndarray, members: list[int], cap: np.ndarray, work: np.ndarray,
            tech_xy: np.ndarray, centres: np.ndarray) -> None:
    """Technicians ``members`` to territories, nearest first, each territory filled up to its
    share (in proportion to ``work``) of the members' capacity ``cap``; the rest to the
    territory with the largest gap."""
    if not members:
        return
    total = float(sum(cap[m] for m in members))
    target = work / work.sum() * total if work.sum() > 0 else np.full(len(centres), total / len(centres))
    filled = np.zeros(len(centres))
    dist = np.sqrt(((tech_xy[members][:, None, :] - centres[None]) ** 2).sum(-1))
    pairs = sorted((dist[a, i], members[a], i) for a in range(len(members)) for i in range(len(centres)))
    for _, m, i in pairs:
        if tech_terr[m] < 0 and filled[i] + cap[m] / 2 <= target[i]:
            tech_terr[m] = i
            filled[i] += cap[m]
    for a, m in enumerate(members):
        if tech_terr[m] < 0:
            gap = target - filled
            i = int(np.argmax(gap - dist[a] * 1e-6))
            tech_terr[m] = i
            filled[i] += cap[m]


def _assign_by_trade(problem: Problem, tech_terr: np.ndarray, members: list[int], cap: np.ndarray,
                     job_terr: np.ndarray, job_w: np.ndarray, tech_xy: np.ndarray, centres: np.ndarray) -> None:
    """Technicians ``members`` one by one, scarcest trades first, to the territory where they
    fill most unmet work of their trades, less the distance (one full usefulness per
    _DISTANCE_KM) and a pull toward each territory's share of the capacity."""
    if not members:
        return
    k = len(centres)
    trades = sorted({s for job in problem.jobs for s in job.skills})
    col = {s: n for n, s in enumerate(trades)}
    need = np.zeros((k, max(1, len(trades))))
    for n, job in enumerate(problem.jobs):
        for s in job.skills:
            need[job_terr[n], col[s]] += job_w[n] / len(job.skills)
    supply = np.zeros((len(problem.technicians), need.shape[1]))
    for m in members:
        held = [s for s in problem.technicians[m].skills if s in col]
        for s in held:
            supply[m, col[s]] = cap[m] / len(held)
    total = float(cap[members].sum())
    deficit = need * (total / need.sum()) if need.sum() > 0 else need
    work = need.sum(axis=1)
    target = work / work.sum() * total if work.sum() > 0 else np.full(k, total / k)
    ratio = supply[members].sum(axis=0) / np.maximum(need.sum(axis=0), 1e-9)
    order = sorted(members, key=lambda m: (min((ratio[col[s]] for s in problem.technicians[m].skills
                                                if s in col), default=math.inf), m))
    filled = np.zeros(k)
    for m in order:
        unit = max(cap[m], 1.0)
        gain = np.minimum(supply[m][None, :], np.maximum(deficit, 0)).sum(axis=1) / unit
        room = np.clip((target - filled) / unit, -2.0, 1.0)
        dist = np.sqrt(((centres - tech_xy[m]) ** 2).sum(-1))
        i = int(np.argmax(gain + 0.5 * room - dist / _DISTANCE_KM))
        tech_terr[m] = i
        deficit[i] -= supply[m]
        filled[i] += cap[m]


def _keep_pinned_together(problem: Problem, tech_terr: np.ndarray) -> None:
    """Technicians a pinned job names together end in the territory of the first of them."""
    index = {t.id: n for n, t in enumerate(problem.technicians)}
    parent = list(range(len(problem.technicians)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for job in problem.jobs:
        pins = [index[p] for p in job.pinned_to if p in index]
        for other in pins[1:]:
            a, b = root(pins[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    for n in range(len(parent)):
        tech_terr[n] = tech_terr[root(n)]


def _place_jobs(problem: Problem, job_terr: np.ndarray, tech_terr: np.ndarray, job_xy: np.ndarray,
                centres: np.ndarray) -> None:
    """Pinned jobs to their technician's territory; a job its territory cannot staff to the
    nearest territory that can (else it stays: its solver will give the reason)."""
    index = {t.id: n for n, t in enumerate(problem.technicians)}
    elig = rules.eligibility(problem)
    for n, job in enumerate(problem.jobs):
        pins = [index[p] for p in job.pinned_to if p in index]
        if pins:
            job_terr[n] = tech_terr[pins[0]]
            continue
        if not job.dispatchable:
            continue
        leads, members = elig[job.id]
        lead_terr = np.bincount([tech_terr[index[t]] for t in leads], minlength=len(centres))
        member_terr = np.bincount([tech_terr[index[t]] for t in members], minlength=len(centres))
        able = (lead_terr > 0) & ((job.crew_size == 1) | (member_terr >= job.crew_size))
        if able[job_terr[n]] or not able.any():
            continue
        dist = ((centres - job_xy[n]) ** 2).sum(-1)
        dist[~able] = np.inf
        job_terr[n] = int(np.argmin(dist))


def territory_problem(problem: Problem, territory: Territory, *, name: str | None = None) -> Problem:
    """The sub-Problem of one territory: its technicians and jobs, everything else the same."""
    techs, jobs = set(territory.technicians), set(territory.jobs)
    return problem.replace(name=name or f"{problem.name}#T{territory.index}",
                           technicians=tuple(t for t in problem.technicians if t.id in techs),
                           jobs=tuple(j for j in problem.jobs if j.id in jobs))
