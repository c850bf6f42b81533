from members.services.adjustments import points_adjust


def _credit(member, times: int) -> list[int]:
    return [points_adjust(member=member, points=n + 1, reason=f"credit {n}")[0].pk for n in range(times)]


def test_transactions_are_listed_newest_first_with_a_full_next_url(api, member):
    # given five ledger rows
    ids = _credit(member, 5)

    # when the first page of two is fetched
    response = api.get("/api/v1/members/c-1/transactions?limit=2")

    # then it holds the two newest rows, in the transaction shape, and a full URL to the next page
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"}
    assert [row["id"] for row in body["results"]] == ids[::-1][:2]
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "points",
        "balance_after",
        "status",
        "description",
        "created_at",
        "expires_at",
    }
    assert body["results"][0] == {
        **body["results"][0],
        "kind": "adjust",
        "points": 5,
        "balance_after": 15,
        "status": "active",
        "description": "credit 4",
    }
    assert body["next"].startswith("http://testserver/api/v1/members/c-1/transactions?")


def test_following_next_walks_the_whole_ledger_once(api, member):
    # given five ledger rows
    ids = _credit(member, 5)

    # when every page is followed
    seen, url = [], "/api/v1/members/c-1/transactions?limit=2"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    # then every row came once, newest first
    assert seen == ids[::-1]


def test_a_new_row_does_not_shift_the_next_page(api, member):
    # given a first page read before a new row is written
    ids = _credit(member, 4)
    first = api.get("/api/v1/members/c-1/transactions?limit=2").json()
    _credit(member, 1)

    # when the next page is fetched
    second = api.get(first["next"]).json()

    # then it continues where the first ended
    assert [row["id"] for row in second["results"]] == ids[1::-1]


def test_a_forged_cursor_is_a_400(api, member):
    # given a member
    # when the cursor is not one the API gave out (garbage, or a non-numeric position)
    garbage = api.get("/api/v1/members/c-1/transactions?cursor=abc")
    non_numeric = api.get("/api/v1/members/c-1/transactions?cursor=cD1hYmM%3D")  # base64("p=abc")

    # then both are a clear 400
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "invalid_cursor"
    assert non_numeric.status_code == 400
    assert non_numeric.json()["error"]["code"] == "invalid_cursor"


def test_an_empty_ledger_is_an_empty_page(api, member):
    # given a member without transactions
    # when the list is fetched
    response = api.get("/api/v1/members/c-1/transactions")

    # then it is empty and has no next page
    assert response.json() == {"results": [], "next": None}
