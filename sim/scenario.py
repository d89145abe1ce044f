"""Scenario files: the one validated schema that holds every parameter.

A scenario is a TOML file. ``extends = "baseline.toml"`` inherits another file
(resolved beside the extending file) and a file states only what differs.
``--set KEY=VALUE`` overrides any key after the files are merged. Every key,
with its type, range, default and meaning, is listed by ``partnersim schema``
(see :func:`schema_rows`).

Bad input raises :class:`ScenarioError`, whose message is one line naming the
file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

#: Need domains served by charities and held by clients (the report's Inspire
#: and Golden Key case studies list these needs).
DOMAINS: tuple[str, ...] = (
    "mental_health",
    "domestic_abuse",
    "sexual_violence",
    "substance_use",
    "housing",
    "family_ties",
    "purposeful_activity",
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

Domain = Literal[
    "mental_health",
    "domestic_abuse",
    "sexual_violence",
    "substance_use",
    "housing",
    "family_ties",
    "purposeful_activity",
]


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0, le=1000.0)]


class ScenarioError(ValueError):
    """Bad scenario input; ``str(err)`` is one line: file, key, what is allowed."""

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key, self.message = source, key, message
        where = f"{source}: " if source else ""
        key_part = f"{key}: " if key else ""
        super().__init__(f"{where}{key_part}{message}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Run(_Section):
    title: str = Field("Untitled scenario", description="Readable title shown in reports and the dashboard")
    description: str = Field("", description="One or two sentences on what the scenario represents")
    months: int = Field(96, ge=1, le=1200, description="Horizon in months (one step is one month); 96 is Golden Key's eight years")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Base seed; replication i uses a seed derived from it")
    burn_in: int = Field(36, ge=0, le=240, description="Unrecorded months run before month 0, without trends or events, so that contracts, staffing, caseloads and ties start in equilibrium")


class Sector(_Section):
    charities: int = Field(150, ge=2, le=20000, description="Number of voluntary organisations at the start")
    localities: int = Field(12, ge=1, le=1000, description="Number of places (community localities and prisons)")
    prisons: int = Field(3, ge=0, le=500, description="How many of the localities are prisons (must be fewer than localities)")
    size_shares: list[Probability] = Field(
        [0.27, 0.54, 0.17, 0.02],
        min_length=4, max_length=4,
        description="Share of charities by annual income band: under 10k, 10k-500k, 500k-10m, over 10m (Clinks State of the Sector 2023)",
    )
    specialisms_mean: float = Field(1.6, ge=1.0, le=7.0, description="Mean number of need domains a charity serves")
    knowhow_share: float = Field(0.4, ge=0.0, le=1.0, description="Chance that a specialism comes with a structured programme the charity can run elsewhere (assumption)")
    reserves_months: float = Field(3.0, ge=0.0, le=36.0, description="Reserves at the start, in months of the charity's whole income (mean; each charity's varies; assumption)")
    overhead_share: float = Field(0.15, ge=0.0, le=0.8, description="Share of staff cost added as variable overhead (assumption)")
    fixed_cost_share: float = Field(0.12, ge=0.0, le=0.8, description="Fixed monthly cost (premises, management) of a charity's work with these clients, as a share of its starting budget for it; not saved by cutting staff (assumption)")
    primary_share: float = Field(0.27, ge=0.0, le=1.0, description="Share of charities whose primary beneficiaries are people in the justice system (the report: about 1,800 of 6,700)")
    cj_share_primary: float = Field(0.17, ge=0.0, le=1.0, description="Share of its own (non-commissioned) income a charity whose primary beneficiaries are offenders spends on these clients in this region (assumption)")
    cj_share_other: float = Field(0.02, ge=0.0, le=1.0, description="Share of its own income a charity with criminal justice as one area of work spends on these clients (assumption)")
    volunteer_hours: float = Field(20.0, ge=0.0, le=500.0, description="Volunteer hours a month per 10k of annual income, capped for large charities; the share given to these clients follows the charity's spending share (assumption)")
    volunteer_supervision: float = Field(0.2, ge=0.0, le=1.0, description="Staff hours of supervision each volunteer hour needs (assumption)")
    hourly_cost: float = Field(25.0, gt=0.0, le=200.0, description="Loaded cost of one staff hour, in pounds")
    subsidy: float = Field(0.3, ge=0.0, le=2.0, description="Share of the hours its clients need beyond what its budget affords that a charity staffs from reserves while it has any (NCVO 2024: 87% subsidise; assumption)")
    reserve_adjust: float = Field(0.05, ge=0.0, le=1.0, description="Share of the gap between reserves and their target that a charity closes each month through its staffing (assumption)")
    staff_adjust: float = Field(0.25, gt=0.0, le=1.0, description="Share of the gap to its staffing target a charity closes each month (hiring and redundancy lag)")
    other_income_follows_funding: float = Field(0.5, ge=0.0, le=1.0, description="How much of the funding trend also applies to charities' own income (assumption)")
    pressure_runway_months: float = Field(24.0, ge=0.0, le=240.0, description="A charity is under financial pressure when its reserves are below a month of spending, or when this month's deficit would use them up within this many months (a reserves policy's planning horizon; 0 = only the first; assumption)")
    closure_months: int = Field(3, ge=1, le=36, description="A charity whose reserves stay negative this many months closes")
    absent_in_prisons: list[Domain] = Field(
        default_factory=list,
        description="Need domains that no charity working inside a prison offers at the start: charities serving them "
                    "work in the community only (one based at a prison is based in a community place instead). A "
                    "region's starting condition, not a policy: Fine Cell Work at Leyhill found no structured "
                    "programme of purposeful activity inside the prison",
    )


class Demand(_Section):
    clients: int = Field(3000, ge=0, le=1_000_000, description="Clients under support at the start; arrivals keep the population near it, before growth")
    growth: float = Field(0.0, ge=-0.9, le=5.0, description="Total fractional change in demand over the run (0.7 = +70%)")
    custody_share: float = Field(0.3, ge=0.0, le=1.0, description="Share of arriving clients who are in prison (placed in prison localities); they are released into the community after `sentence_months` on average")
    court_order_share: float = Field(0.5, ge=0.0, le=1.0, description="Share of community clients on a court order with compulsory attendance; the rest are voluntary referrals")
    needs_count_probs: list[Probability] = Field(
        [0.62, 0.28, 0.07, 0.03], min_length=1, max_length=7,
        description="Probability that a client has 1, 2, 3, ... needs at once (Hard Edges 2015: 222k of 586k have two or more)",
    )
    domain_weights: list[Weight] = Field(
        [1.5, 0.8, 0.5, 1.3, 1.2, 0.8, 1.0], min_length=7, max_length=7,
        description="Relative prevalence of each need domain, in the order of `partnersim schema` DOMAINS (assumption)",
    )
    spell_months: float = Field(12.0, gt=0.0, le=120.0, description="Mean months a client stays under support before completing")
    transfer_rate: float = Field(0.04, ge=0.0, le=1.0, description="Monthly chance that a client in prison is transferred to another prison")
    sentence_months: float = Field(9.0, gt=0.0, le=240.0, description="Mean months a client in custody has left before release into the community (assumption)")


class Funding(_Section):
    change: float = Field(0.0, ge=-1.0, le=5.0, description="Total fractional change in funding over the run (-0.3 = -30%), applied linearly")
    commissioned_per_client: float = Field(39.1, ge=0.0, le=10000.0, description="Commissioners' combined budget per starting client per month, in pounds (assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    grant_share: float = Field(0.25, ge=0.0, le=1.0, description="Share of commissioners' money given as grants by independent funders rather than contracts (NCVO Almanac: about a quarter)")


class Commissioning(_Section):
    contract_months: int = Field(36, ge=1, le=600, description="Contract length in months for statutory commissioners")
    retender: Literal["rollover", "market_test"] = Field("market_test", description="At contract end: roll over to the incumbent, or test the market")
    value_change_at_retender: float = Field(0.0, ge=-1.0, le=5.0, description="Fractional change of a contract's value at each re-tender (-0.5 halves it)")
    incumbency_weight: float = Field(0.3, ge=0.0, le=1.0, description="How much a tender values knowledge of existing provision ('understand what you have')")
    flexible: bool = Field(False, description="The funder lets a partnership reorganise (replace a lost partner) within a contract")
    monitoring: Literal["per_partner", "standardised"] = Field("per_partner", description="One monitoring system per partner, or one standard for the partnership")
    partnership_required: bool = Field(False, description="Tenders accept only bids from partnerships of two or more charities")
    price_weight: float = Field(0.3, ge=0.0, le=1.0, description="Weight on price in bid scoring")
    quality_weight: float = Field(0.4, ge=0.0, le=1.0, description="Weight on quality (coverage of needs and places, capacity) in bid scoring")
    track_record_weight: float = Field(0.3, ge=0.0, le=1.0, description="Weight on track record in bid scoring")
    min_coverage: float = Field(0.75, ge=0.0, le=1.0, description="A bid must cover at least this share of the lot's localities to be eligible")
    lots: int | None = Field(None, ge=1, le=100, description="Number of lots a statutory commissioner splits its places into (default: one for every lot_places places, at least one)")
    lot_places: int = Field(6, ge=1, le=10000, description="Places a lot spans when the number of lots is not set, about one local area's (assumption): a larger region has more lots, not larger ones")
    max_bids: int = Field(4, ge=1, le=50, description="Bids a tender draws at most: the able leads who prepare one (assumption)")
    monitoring_hours: float = Field(0.5, ge=0.0, le=50.0, description="Monitoring hours a month per funded client for a contract's reports (assumption)")
    duplication: float = Field(1.0, ge=0.0, le=5.0, description="Extra monitoring, as a multiple, for each partner that keeps its own system (per_partner regime)")
    cost_coverage: float = Field(0.90, ge=0.1, le=2.0, description="Contract value as a share of the full cost of the caseload it specifies (calibrated to NCVO 2024, 87% of charities subsidise contracts: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    grant_monitoring: float = Field(0.3, ge=0.0, le=1.0, description="Monitoring an independent grant funder asks, as a share of a statutory contract's (light touch; assumption)")
    bid_cost_months: float = Field(0.5, ge=0.0, le=12.0, description="Cost of preparing a bid, in months of the bidder's expected share (assumption)")
    price_scale_discount: float = Field(0.05, ge=0.0, le=0.5, description="How much cheaper a bid is per income band of its lead (economies of scale; assumption)")
    price_coordination_cost: float = Field(0.03, ge=0.0, le=0.5, description="How much dearer a bid is per extra partner (coordination; assumption)")
    price_noise: float = Field(0.03, ge=0.0, le=0.5, description="Spread of bid prices between otherwise equal bids (assumption)")
    score_noise: float = Field(0.02, ge=0.0, le=0.5, description="Spread of assessors' scores between otherwise equal bids (assumption)")


class Partnership(_Section):
    enabled: bool = Field(True, description="Charities may form partnerships and collaborate at all")
    co_location: bool = Field(False, description="Partners' staff work from one site (a one-stop shop)")
    shared_case_management: bool = Field(False, description="Partners share one case-management system, keeping records across prison transfers")
    joint_training_months: int = Field(0, ge=0, le=600, description="Months between joint training sessions after induction (0 = never after induction)")
    search_rate: float = Field(0.05, ge=0.0, le=1.0, description="Monthly chance that a charity looks for a partner with complementary resources")
    pressure_search: float = Field(6.0, ge=0.0, le=20.0, description="How much more often a charity under financial pressure looks for partners")
    defection_base: float = Field(0.25, ge=0.0, le=1.0, description="Chance a partner with full ties to its lead bids outside the partnership at a market test (Inspire; assumption)")
    defection_weak_tie: float = Field(0.35, ge=0.0, le=1.0, description="Added chance of defection with no managerial tie to the lead")
    defection_value_cut: float = Field(0.2, ge=0.0, le=1.0, description="Added chance of defection when the contract is cut at re-tender")
    defection_pressure: float = Field(0.1, ge=0.0, le=1.0, description="Added chance of defection for a partner under financial pressure")
    max_partners: int = Field(16, ge=2, le=100, description="Largest partnership (Golden Key had 16 partners)")
    lead_core_share: float = Field(0.35, ge=0.0, le=1.0, description="Share of a contract's work (and of the specification's money for it) the lead keeps as its core case-work before sharing the rest by contribution")
    subsidy_tolerance: float = Field(0.15, ge=0.0, le=1.0, description="Share of the full cost of its part of a contract that a partner absorbs without drawing on its own funds (volunteers, unpaid overheads; assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    coordination_hours: float = Field(4.0, ge=0.0, le=200.0, description="Staff hours a month each member of a commissioned consortium spends on coordination; an alliance's subcontractors spend half, an informal partnership's members a quarter (assumption)")
    overhead_saving: float = Field(0.3, ge=0.0, le=1.0, description="Share of its overheads a charity saves while in a partnership (shared premises and administration: RECOOP administering Fine Cell Work's volunteers; assumption)")
    unfunded_capacity: int = Field(15, ge=0, le=10000, description="Clients a month an unfunded joint service can support (Fine Cell Work at Leyhill: a weekly group)")


class Statutory(_Section):
    engagement: float = Field(0.5, ge=0.0, le=1.0, description="Buy-in of statutory partners: attendance at partnership governance, referral routes into services, and work on system change (a commissioner's own `engagement` overrides it)")
    referral_rate: float = Field(0.74, ge=0.0, le=1.0, description="Share of eligible clients (in the lot, with a need the contract's partners serve there, not supported by another charity) that fully engaged statutory partners refer into a contract; each client's fixed draw decides (assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    self_referral: float = Field(0.3, ge=0.0, le=1.0, description="Share of eligible clients who reach a contracted service without a statutory referral (other agencies, self-referral; Inspire took voluntary referrals from the police and others; assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    service_access: float = Field(0.3, ge=0.0, le=1.0, description="Chance a month that a need a contract's partners cannot meet is met by the statutory services (housing, health, probation) of fully engaged statutory partners, through joint case work; scaled by engagement and cut by system barriers (Golden Key's board of police, local authority, probation and health; assumption)")


class Relationships(_Section):
    managerial_growth: float = Field(0.06, ge=0.0, le=1.0, description="Monthly growth of a managerial tie through joint governance, towards 1")
    frontline_growth: float = Field(0.04, ge=0.0, le=1.0, description="Monthly growth of a frontline tie through joint delivery, towards 1")
    co_location_growth: float = Field(0.08, ge=0.0, le=1.0, description="Extra monthly frontline growth from working on one site")
    training_boost: float = Field(0.25, ge=0.0, le=1.0, description="Frontline growth from one joint training session (and from induction)")
    managerial_decay: float = Field(0.02, ge=0.0, le=1.0, description="Monthly decay of a managerial tie without contact")
    frontline_decay: float = Field(0.04, ge=0.0, le=1.0, description="Monthly decay of a frontline tie without contact")
    defection_damage: float = Field(0.5, ge=0.0, le=1.0, description="Share of a tie's strength lost when a partner bids against the partnership")
    initial_strength: float = Field(0.2, ge=0.0, le=1.0, description="Strength of a new tie")
    investment_hours: float = Field(6.0, ge=0.0, le=200.0, description="Staff hours a month a partner invests in each partnership's relationships")


class Clients(_Section):
    reoffending_annual: float = Field(0.3, ge=0.0, le=1.0, description="Annual proven reoffending of a client none of whose needs is met; with the support clients get, the clients' rate is about a quarter (Ministry of Justice; calibrated)")
    support_effect: float = Field(0.27, ge=0.0, le=1.0, description="Relative cut in reoffending when all of a client's needs are met; sets the gap between joined-up and partial support (women's centres, Justice Data Lab: 1-9 points; calibrated)")
    breach_monthly: float = Field(0.01, ge=0.0, le=1.0, description="Monthly chance of breach for a disengaged client on a court order (Inspire: 3 breaches in 40 orders)")
    hours_per_need: float = Field(3.0, gt=0.0, le=100.0, description="Staff hours a month to support one need of one client")
    referral_base: float = Field(0.35, ge=0.0, le=1.0, description="Chance that a referral to a partner succeeds with no frontline tie, on separate sites")
    referral_tie_effect: float = Field(0.45, ge=0.0, le=1.0, description="Added chance of referral success at full frontline tie strength")
    referral_awareness: float = Field(0.4, ge=0.0, le=1.0, description="Chance a worker refers a need to a partner whose frontline staff they do not know; rises to 1 with a full frontline tie (informal introductions; assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    referral_co_location: float = Field(0.0, ge=0.0, le=1.0, description="Direct added chance of referral success on one site (a warm handover); 0 by default, so co-location acts only through the frontline ties it builds")
    signposting: float = Field(0.15, ge=0.0, le=1.0, description="Chance a need outside the provider's partnership is met by signposting to local provision")
    generalist_effect: float = Field(0.4, ge=0.0, le=1.0, description="Chance that a key worker with time to spare meets a client's need outside the charity's specialisms (against 1 for a specialist; assumption)")
    engagement_memory: float = Field(0.8, ge=0.0, le=1.0, description="Share of last month's engagement a client keeps; the rest follows the share of needs met this month (assumption)")
    engagement_effect: float = Field(0.39, ge=0.0, le=1.0, description="Share of the support offered that a fully disengaged client misses (attendance; assumption; calibrated: the weighted mean of the baseline posterior, experiments/posteriors/baseline)")
    restart_engagement: float = Field(0.5, ge=0.0, le=1.0, description="Share of engagement a client keeps when support restarts from scratch (a new worker, no record; assumption)")


class SystemChange(_Section):
    learning_rate: float = Field(0.15, ge=0.0, le=1.0, description="Monthly fall in system barriers from a long-running, well-related partnership")
    horizon_months: int = Field(36, ge=1, le=600, description="Funding horizon at which partners invest fully in relationships and system change")
    barrier_effect: float = Field(0.3, ge=0.0, le=1.0, description="How much system barriers reduce referral and signposting success")
    relapse: float = Field(0.002, ge=0.0, le=1.0, description="Monthly drift of barriers back up without sustained partnership work")
    learning_min_partners: int = Field(3, ge=2, le=100, description="Smallest commissioned partnership that can work on system change (Golden Key's board spans several services; assumption)")


class CommissionerSpec(_Section):
    name: str = Field(..., description="Unique name of the commissioner")
    kind: Literal["ministry", "prison_service", "probation", "pcc", "local_authority", "health", "lottery"] = Field(..., description="Kind of commissioner")
    budget_share: float = Field(..., ge=0.0, le=1.0, description="Share of the commissioned budget (grants: of the grant budget)")
    domains: list[Domain] = Field(..., min_length=1, description="Need domains its contracts fund")
    setting: Literal["community", "prison", "all"] = Field("all", description="Which localities its lots span")
    lots: int | None = Field(None, ge=1, le=100, description="Number of lots (default: commissioning.lots; 1 = one lot spanning every locality)")
    lot_places: int | None = Field(None, ge=1, le=10000, description="Places a lot spans when the number of lots is not set (default: commissioning.lot_places)")
    contract_months: int | None = Field(None, ge=1, le=600, description="Contract length (default: commissioning.contract_months)")
    grant: bool | None = Field(None, description="An independent grant funder: long, flexible, no price competition, light monitoring, development time paid (default: true for kind 'lottery', false otherwise)")
    start_month: int = Field(0, ge=0, le=1200, description="Month the commissioner first tenders")
    engagement: float | None = Field(None, ge=0.0, le=1.0, description="This commissioner's statutory buy-in (default: statutory.engagement)")


def default_commissioners() -> list[CommissionerSpec]:
    """A plausible English region's commissioners (the report's introduction)."""
    # the prison service commissions for a group of about three prisons; the lottery fund's programme
    # funds one partnership for an area of about nine places (assumptions)
    rows = [
        ("Community Rehabilitation Company", "probation", 0.35, ["mental_health", "substance_use", "housing", "domestic_abuse"], "community", None, False),
        ("Prison service", "prison_service", 0.2, ["family_ties", "purposeful_activity", "mental_health"], "prison", 3, False),
        ("Police and crime commissioner", "pcc", 0.15, ["domestic_abuse", "sexual_violence"], "community", None, False),
        ("Local authority", "local_authority", 0.15, ["housing", "substance_use"], "community", None, False),
        ("Health commissioner", "health", 0.15, ["mental_health", "substance_use"], "all", None, False),
        ("Lottery fund", "lottery", 1.0, ["mental_health", "substance_use", "housing", "domestic_abuse"], "community", 9, True),
    ]
    return [
        CommissionerSpec(name=n, kind=k, budget_share=s, domains=d, setting=st, lot_places=lp, grant=g,
                         contract_months=96 if g else None)
        for n, k, s, d, st, lp, g in rows
    ]


class Event(_Section):
    month: int = Field(..., ge=1, le=1200, description="Month the event happens (applied before that month's step)")
    kind: Literal["retender", "funding", "demand", "commissioner"] = Field(..., description="retender: end a commissioner's contracts now; funding/demand: a step change; commissioner: a new commissioner")
    commissioner: str | None = Field(None, description="Name of the commissioner concerned (retender, or the new one)")
    change: float = Field(0.0, ge=-1.0, le=10.0, description="Fractional step change (funding, demand)")
    spec: CommissionerSpec | None = Field(None, description="The new commissioner (kind = commissioner)")


class Scenario(_Section):
    """A whole scenario: every parameter of the model, validated."""

    run: Run = Field(default_factory=Run)
    sector: Sector = Field(default_factory=Sector)
    demand: Demand = Field(default_factory=Demand)
    funding: Funding = Field(default_factory=Funding)
    commissioning: Commissioning = Field(default_factory=Commissioning)
    partnership: Partnership = Field(default_factory=Partnership)
    statutory: Statutory = Field(default_factory=Statutory)
    relationships: Relationships = Field(default_factory=Relationships)
    clients: Clients = Field(default_factory=Clients)
    system: SystemChange = Field(default_factory=SystemChange)
    commissioners: list[CommissionerSpec] = Field(default_factory=default_commissioners)
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.sector.prisons >= self.sector.localities and self.sector.localities > 1:
            raise ValueError(f"sector.prisons must be fewer than sector.localities ({self.sector.localities})")
        names = [c.name for c in self.commissioners]
        if len(set(names)) != len(names):
            raise ValueError("commissioners: names must be unique")
        known = set(names) | {e.spec.name for e in self.events if e.spec}
        for e in self.events:
            if e.kind == "retender" and e.commissioner not in known:
                raise ValueError(f"events: retender names unknown commissioner {e.commissioner!r}; known: {sorted(known)}")
            if e.kind == "commissioner" and e.spec is None:
                raise ValueError("events: a 'commissioner' event needs a spec table")
        if sum(self.demand.domain_weights) <= 0:
            raise ValueError("demand.domain_weights: at least one weight must be above 0")
        if abs(sum(self.demand.needs_count_probs) - 1.0) > 1e-6:
            raise ValueError("demand.needs_count_probs must sum to 1")
        if abs(sum(self.sector.size_shares) - 1.0) > 1e-6:
            raise ValueError("sector.size_shares must sum to 1")
        return self

    @property
    def title(self) -> str:
        """The scenario's title (``run.title``)."""
        return self.run.title


# --------------------------------------------------------------------- loading

#: A scenario file is small text; anything larger (or a device such as /dev/zero) is not read.
MAX_FILE_BYTES = 1_000_000
#: How many files an ``extends`` chain may hold.
MAX_EXTENDS = 32


def _file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a scenario file, or None when it can ("missing" when it does not exist)."""
    import errno
    import stat

    try:
        st = path.stat()
    except FileNotFoundError:
        return "a broken symbolic link; give a scenario file" if path.is_symlink() else "missing"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a symbolic link loop; give a scenario file"
        return f"cannot read file ({err.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return "a folder, not a scenario file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a device, pipe or socket); give a scenario file"
    if path.suffix != ".toml":
        return "not a scenario file: scenario files are TOML and end in .toml"
    if st.st_size > MAX_FILE_BYTES:
        return f"{st.st_size:,} bytes; a scenario file is at most {MAX_FILE_BYTES:,}"
    return None


def resolve_path(name: str | Path, base: Path | None = None) -> Path:
    """Find a scenario file: a path, or a name in ``scenarios/`` (``.toml`` optional).

    Only regular ``.toml`` files of at most :data:`MAX_FILE_BYTES` are read; a folder, a device,
    a symbolic link loop or another kind of file is reported as what it is.
    """
    p = Path(name)
    candidates = [p] if p.is_absolute() else [(base or Path.cwd()) / p]
    if not p.is_absolute():
        candidates += [SCENARIO_DIR / p, SCENARIO_DIR / f"{p}.toml"] if p.suffix != ".toml" else [SCENARIO_DIR / p]
    first_problem = None
    for c in candidates:
        problem = _file_problem(c)
        if problem is None:
            return c.resolve()
        if problem != "missing" and first_problem is None:
            first_problem = problem
    if first_problem is not None:
        raise ScenarioError(str(name), "", first_problem)
    raise ScenarioError(str(name), "", "file not found (give a path, or a name from the scenarios folder)")


def _deep_merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def check_keys(data: dict, model: type[BaseModel], source: str, prefix: str = "") -> None:
    """Raise for the first key in ``data`` that ``model`` does not define (recursively)."""
    fields = model.model_fields
    for key, value in data.items():
        if key not in fields:
            raise ScenarioError(source, f"{prefix}{key}", f"unknown key; allowed: {', '.join(sorted(fields))}")
        ann = fields[key].annotation
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        item = next((a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and isinstance(value, dict):
            check_keys(value, sub, source, f"{prefix}{key}.")
        elif item is not None and isinstance(value, list):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    check_keys(entry, item, source, f"{prefix}{key}.{i}.")


def read_toml_tree(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """Read a scenario file and everything it ``extends``, merged."""
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(str(path), "extends", f"circular extends ({cycle})")
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(str(_chain[0]), "extends", f"a chain of more than {MAX_EXTENDS} files; at most "
                            f"{MAX_EXTENDS} may extend one another")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), "", f"malformed TOML ({err})") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "", "not UTF-8 text; save the file as UTF-8") from None
    except OSError as err:
        raise ScenarioError(str(path), "", f"cannot read file ({err.strerror})") from None
    parent = data.pop("extends", None)
    check_keys(data, Scenario, str(path))  # an unknown key is reported against the file that holds it
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(str(path), "extends", "must be a file name string")
    try:
        parent_path = resolve_path(parent, base=path.parent)
    except ScenarioError as err:
        what = f"not found beside {path.name}" if err.message.startswith("file not found") else err.message
        raise ScenarioError(str(path), "extends", f"file {parent!r}: {what}") from None
    return _deep_merge(read_toml_tree(parent_path, (*_chain, path)), data)


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as a TOML value, falling back to a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: Any, source: str = "--set") -> dict[str, Any]:
    """``KEY=VALUE`` strings as a ``{dotted.key: value}`` mapping (values read as TOML where they parse)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(source, item, "expected KEY=VALUE, e.g. commissioning.contract_months=12")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_value(v.strip())
    return out


def apply_overrides(data: dict, overrides: Any, source: str = "--set") -> dict:
    """Apply ``KEY=VALUE`` strings (or a ``{dotted.key: value}`` mapping)."""
    mapping = overrides if isinstance(overrides, dict) else parse_overrides(overrides, source)
    items = list(mapping.items())
    out = _deep_merge({}, data)
    for key, value in items:
        parts = key.split(".")
        node = out
        spec: Any = Scenario
        for i, part in enumerate(parts):
            fields = getattr(spec, "model_fields", None)
            if fields is None or part not in fields:
                allowed = ", ".join(sorted(fields)) if fields else "no sub-keys"
                raise ScenarioError(source, key, f"unknown key {'.'.join(parts[: i + 1])!r}; allowed here: {allowed}")
            if i == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ScenarioError(source, key, "cannot set inside a list; edit the scenario file")
                spec = fields[part].annotation
    return out


def _describe_error(err: ValidationError, source: str) -> ScenarioError:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    kind = first["type"]
    ctx = first.get("ctx", {})
    if kind == "extra_forbidden":
        parent = first["loc"][:-1]
        spec: Any = Scenario
        for p in parent:
            if isinstance(p, int):
                continue
            ann = spec.model_fields[p].annotation
            spec = getattr(ann, "__args__", [ann])[0] if not hasattr(ann, "model_fields") else ann
        allowed = ", ".join(sorted(getattr(spec, "model_fields", {})))
        return ScenarioError(source, key, f"unknown key; allowed: {allowed}")
    msg = first["msg"]
    if ctx:
        msg = msg  # pydantic's message already states the bound ("greater than or equal to 0")
    return ScenarioError(source, key, f"{msg} (got {first.get('input')!r})" if kind != "value_error" else msg.removeprefix("Value error, "))


def build_scenario(data: dict, source: str = "") -> Scenario:
    """Validate a scenario dict; ScenarioError naming ``source``, the key and what is allowed otherwise."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise _describe_error(err, source) from None


def load_scenario(name: str | Path | Scenario, overrides: Any = (), months: int | None = None) -> Scenario:
    """Load a scenario by path or name, with ``extends`` and overrides applied.

    Args:
        name: a path, a file name in ``scenarios/``, or an already built Scenario.
        overrides: ``["section.key=value", ...]`` or ``{"section.key": value}``.
        months: shortcut for ``run.months``.

    Raises:
        ScenarioError: one line naming the file, the key and what is allowed.
    """
    if isinstance(name, Scenario):
        data, source = name.model_dump(), "scenario"
    else:
        path = resolve_path(name)
        data, source = read_toml_tree(path), str(path)
    scenario = build_scenario(data, source)  # errors in the file name the file
    ov = dict(overrides) if isinstance(overrides, dict) else list(overrides)
    if months is not None:
        ov = {**ov, "run.months": months} if isinstance(ov, dict) else [*ov, f"run.months={months}"]
    if ov:
        scenario = build_scenario(apply_overrides(scenario.model_dump(), ov), "--set")
    return scenario


def list_scenarios() -> list[tuple[str, Scenario]]:
    """Every scenario in ``scenarios/`` that loads, as (file name, scenario)."""
    out = []
    for p in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            out.append((p.name, load_scenario(p)))
        except ScenarioError:
            continue
    return out


def own_settings(scenario: Scenario) -> dict[str, Any]:
    """The settings in which a scenario differs from the schema's defaults, as ``{"section.key": value}``
    (``run``, ``commissioners`` and ``events`` aside): what the scenario itself says about its case.

    A posterior draw, calibrated on the baseline region, fills in the parameters a
    scenario leaves at their defaults and keeps these (a case study's own money per
    client is part of the case, not a mechanism to recalibrate).
    """
    default = Scenario().model_dump()
    out: dict[str, Any] = {}
    for section, values in scenario.model_dump().items():
        if section in ("run", "commissioners", "events") or not isinstance(values, dict):
            continue
        base = default.get(section, {})
        out.update({f"{section}.{k}": v for k, v in values.items() if base.get(k) != v})
    return out


def schema_rows() -> list[dict[str, str]]:
    """Every key: name, type, range, default, meaning (for ``partnersim schema``)."""
    rows: list[dict[str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, key + ".")
                continue
            if name in ("commissioners", "events") and not prefix:
                sub = CommissionerSpec if name == "commissioners" else Event
                walk(sub, f"[[{name}]].")
                continue
            lo = hi = None
            for m in field.metadata:
                lo = getattr(m, "ge", getattr(m, "gt", lo)) if lo is None else lo
                hi = getattr(m, "le", getattr(m, "lt", hi)) if hi is None else hi
            tname = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
            if "Literal" in str(ann):
                rng = " | ".join(repr(a) for a in ann.__args__)
                tname = "str"
            elif lo is not None or hi is not None:
                rng = f"{'' if lo is None else lo} .. {'' if hi is None else hi}"
            elif ann is bool:
                rng = "true | false"
            else:
                rng = ""
            default = "(required)" if field.is_required() else repr(field.get_default(call_default_factory=True))
            if len(default) > 60:
                default = default[:57] + "..."
            rows.append({"key": key, "type": tname, "range": rng, "default": default, "meaning": field.description or ""})

    walk(Scenario, "")
    return rows
