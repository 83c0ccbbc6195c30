"""REST: linked policies (with mentions, targets and money), merge and split, duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from policylens import api
from policylens.link import DuplicateCluster, PolicyDetail, PolicySummary
from policylens.serve.deps import Page, State, WriteAccess
from policylens.serve.errors import COMMON_ERRORS, WRITE_ERRORS
from policylens.serve.routes import errors_for, text_query
from policylens.serve.schemas import ListPage, MergeBody, SplitBody, page_of

router = APIRouter(prefix="/api", tags=["policies"], responses=errors_for(*COMMON_ERRORS))

PolicyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Policy id.")]


@router.get("/policies", response_model=ListPage[PolicySummary])
def list_policies(
    state: State,
    page: Page,
    region: Annotated[str | None, text_query("Place name part, e.g. 四川 or 成都.")] = None,
    contains: Annotated[str | None, text_query("Text in the policy's title.")] = None,
) -> dict[str, object]:
    """Linked policies, the most widely mentioned first."""
    return page_of(api.policies(state.db, region, contains), page.limit, page.offset)


@router.get("/policies/{policy_id}", response_model=PolicyDetail)
def get_policy(state: State, policy_id: PolicyId) -> PolicyDetail:
    """One policy: every mention (score, reason, quote), its targets and its sources."""
    return api.policy(policy_id, state.db)


@router.post(
    "/policies/merge",
    response_model=PolicyDetail,
    dependencies=[WriteAccess],
    responses=errors_for(*WRITE_ERRORS, 409),
)
def merge_policies(state: State, body: MergeBody) -> PolicyDetail:
    """Record that these policies are one (kept across reextract); return the merged one."""
    return api.merge_policies(body.ids, state.db)


@router.post(
    "/policies/{policy_id}/split",
    response_model=PolicyDetail,
    dependencies=[WriteAccess],
    responses=errors_for(*WRITE_ERRORS, 409),
)
def split_policy(state: State, policy_id: PolicyId, body: SplitBody) -> PolicyDetail:
    """Record that these mentions (fact ids) are another policy; return theirs."""
    return api.split_policy(policy_id, body.fact_ids, state.db)


@router.get("/duplicates", response_model=ListPage[DuplicateCluster])
def list_duplicates(state: State, page: Page) -> dict[str, object]:
    """Clusters of near-duplicate items (the same story in several places)."""
    return page_of(api.duplicates(state.db), page.limit, page.offset)
