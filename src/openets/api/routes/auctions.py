"""Primary auctions: the regulator announces, publishes the reserve and closes; bidders bid sealed;
anyone reads the notice and its public result (never an individual bid)."""

from fastapi import APIRouter

from openets.api.deps import Id, Me, Svc
from openets.api.ids import operation_id
from openets.api.schemas.auctions import AuctionCloseRead, AuctionRead, BidCreate, BidRead, NoticeCreate, ReserveRead

router = APIRouter(prefix="/auctions", tags=["auctions"], generate_unique_id_function=operation_id)


# the result's fields after the close are there only when settled: unset fields stay out of the answer
@router.post("", status_code=201, response_model=AuctionRead, response_model_exclude_unset=True)
def announce(body: NoticeCreate, me: Me, svc: Svc) -> dict[str, object]:
    """The market's regulator announces an auction of units already in its auction account."""
    a = svc.auctions
    return a.results(a.announce(me, body.rules, unit_class=body.unit_class, restriction_id=body.restriction_id))


@router.post("/{notice_id}/reserve")
def publish_reserve(notice_id: Id, me: Me, svc: Svc) -> ReserveRead:
    """Compute and publish the reserve price by the notice's rule, from the market's own trades."""
    return ReserveRead(notice=notice_id, reserve_fen=svc.auctions.publish_reserve(me, notice_id), currency="CNY")


@router.post("/{notice_id}/close", response_model=AuctionCloseRead, response_model_exclude_unset=True)
def close(notice_id: Id, me: Me, svc: Svc) -> dict[str, object]:
    """After the window: clear, deliver, collect, refund, book the revenue; the public result."""
    return svc.auctions.close(me, notice_id)


@router.get("/{notice_id}", response_model=AuctionRead, response_model_exclude_unset=True)
def auction(notice_id: Id, svc: Svc) -> dict[str, object]:
    """Public: the notice and, once settled, its result (never an individual bid)."""
    return svc.auctions.results(notice_id)


@router.post("/{notice_id}/bids", status_code=201, response_model=BidRead)
def bid(notice_id: Id, body: BidCreate, me: Me, svc: Svc) -> dict[str, object]:
    """Submit or revise your sealed bid inside the window."""
    return svc.auctions.bid(me, notice_id, bid_id=body.bid_id, price_fen=body.price_fen, quantity=body.quantity)
