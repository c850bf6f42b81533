"""Member import from CSV: row-by-row validation with an error report, dry run first (writes nothing),
balances through the ledger, tiers by key, idempotent re-import, big files in the (eager) Celery task."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loyalty.choices import StaffRole
from loyalty.models import AuditEntry
from members.choices import TransactionKind, TransactionSource
from members.models import ImportJob, Member, Transaction
from members.services import imports
from members.services.imports import import_job_create, import_job_run, import_job_start
from tests.admin.conftest import client_of, staff_user
from tests.factories import MerchantFactory, ProgramFactory, TierFactory

GOOD_AND_BAD = (
    "customer_id,email,first_name,last_name,birthday,points,tier\n"
    "c-1,ann@example.com,Ann,Lee,1990-02-03,1200,gold\n"
    "c-2,bob@example.com,Bob,,,0,\n"
    ",nobody@example.com,,,,5,\n"
    "c-4,not-an-email,,,31/12/1990,ten,platinum\n"
    "c-1,dup@example.com,,,,1,\n"
)


def program_with_tiers():
    program = ProgramFactory(merchant=MerchantFactory())
    TierFactory(program=program, key="silver", name="Silver", threshold=0, position=0)
    TierFactory(program=program, key="gold", name="Gold", threshold=1000, position=1)
    return program


def run(program, content, *, dry_run):
    job = import_job_create(program=program, content=content, filename="old.csv", dry_run=dry_run)
    import_job_start(job=job)
    job.refresh_from_db()
    return job


def test_a_dry_run_reports_each_bad_row_and_writes_nothing(db):
    # given a program and a file with two good rows and three bad ones
    program = program_with_tiers()
    # when it is dry-run
    job = run(program, GOOD_AND_BAD, dry_run=True)
    # then every problem is reported with its line and column, and nothing is written
    assert (job.status, job.rows_total, job.rows_done, job.rows_failed) == ("succeeded", 5, 5, 3)
    assert [(e["row"], e["field"]) for e in job.errors] == [
        (4, "customer_id"),
        (5, "email"), (5, "birthday"), (5, "points"), (5, "tier"),
        (6, "customer_id"),
    ]  # fmt: skip
    assert "'c-1' is already in the file." in job.errors[-1]["message"]
    assert not Member.objects.filter(program=program).exists()
    assert not Transaction.objects.exists()


def test_an_import_upserts_members_posts_opening_balances_and_assigns_tiers(db, assert_ledger_clean):
    # given a program with silver and gold
    program = program_with_tiers()
    # when the file is imported
    job = run(program, GOOD_AND_BAD, dry_run=False)
    # then the two good rows are members, Ann with 1200 points from one adjustment row and the gold tier
    assert (job.members_created, job.points_posted, job.rows_failed) == (2, 1200, 3)
    ann = Member.objects.select_related("tier").get(program=program, customer_id="c-1")
    assert (ann.email, ann.first_name, str(ann.birthday), ann.points_balance, ann.tier.key) == (
        "ann@example.com", "Ann", "1990-02-03", 1200, "gold",
    )  # fmt: skip
    row = Transaction.objects.get(member=ann)
    assert (row.kind, row.source, row.idempotency_key) == (
        TransactionKind.ADJUST, TransactionSource.ADJUSTMENT, "import:c-1:opening_balance",
    )  # fmt: skip
    assert Member.objects.get(program=program, customer_id="c-2").points_balance == 0
    assert_ledger_clean()


def test_importing_the_same_file_again_changes_nothing(db, assert_ledger_clean):
    # given a file imported once
    program = program_with_tiers()
    run(program, GOOD_AND_BAD, dry_run=False)
    # when it is imported again
    again = run(program, GOOD_AND_BAD, dry_run=False)
    # then no new member, no new points
    assert (again.status, again.members_created, again.points_posted) == ("succeeded", 0, 0)
    assert Member.objects.filter(program=program).count() == 2
    assert Transaction.objects.filter(program=program).count() == 1
    assert Member.objects.get(program=program, customer_id="c-1").points_balance == 1200
    assert_ledger_clean()


def test_a_file_without_the_customer_id_column_fails_at_once(db):
    # given a header without customer_id and with a column nobody knows
    program = program_with_tiers()
    # when it is uploaded
    job = run(program, "email,balance\nann@example.com,5\n", dry_run=True)
    # then the job failed with the reasons and did not run
    assert job.status == "failed"
    assert [e["message"] for e in job.errors] == [
        "Missing column 'customer_id'.",
        "Unknown column 'balance'; the columns are customer_id, email, first_name, last_name, birthday, phone, "
        "points, tier.",
    ]


def test_a_big_file_runs_in_the_background_task_with_progress(db, monkeypatch, django_capture_on_commit_callbacks):
    # given a file past the background threshold (lowered for the test) and a smaller progress step
    monkeypatch.setattr(imports, "BACKGROUND_ROWS", 3)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    program = program_with_tiers()
    content = "customer_id,points\n" + "".join(f"c-{i},{i}\n" for i in range(1, 8))
    job = import_job_create(program=program, content=content, dry_run=False)
    # when it is started: queued until commit, then run by the (eager) Celery task
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_job_start(job=job)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("queued", 0)
    for callback in callbacks:
        callback()
    # then it finished with every row done
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_done, job.points_posted) == ("succeeded", 7, 7, 28)


def test_running_a_finished_job_again_does_nothing(db):
    # given a finished import
    program = program_with_tiers()
    job = run(program, "customer_id,points\nc-1,5\n", dry_run=False)
    # when the task is delivered twice
    again = import_job_run(job_id=job.pk)
    # then nothing more happened
    assert (again.status, Transaction.objects.count()) == ("succeeded", 1)


def test_upload_dry_run_then_import_for_real_in_the_admin(db):
    # given a manager of a program with tiers
    program = program_with_tiers()
    client = client_of(staff_user(program.merchant, role=StaffRole.MANAGER))
    upload = SimpleUploadedFile("old.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    # when they upload it as a dry run
    response = client.post(
        reverse("admin:members_importjob_upload"),
        {"program": program.pk, "file": upload, "dry_run": "on"},
        follow=True,
    )
    dry = ImportJob.objects.get()
    # then the job page shows the progress and the errors, and nothing is written
    content = response.content.decode()
    assert 'id="import-progress"' in content and "Not an email address" in content
    assert not Member.objects.exists()
    # when they import it for real from the dry run's page
    client.post(reverse("admin:members_importjob_run", args=[dry.pk]))
    # then the members are in, the import is audited and the error report downloads as CSV
    assert Member.objects.filter(program=program).count() == 2
    assert AuditEntry.objects.filter(action="member_import", merchant=program.merchant).count() == 1
    report = client.get(reverse("admin:members_importjob_errors", args=[dry.pk]))
    assert report.content.decode().splitlines()[:2] == ["row,field,message", "4,customer_id,Required."]


def test_support_cannot_import_and_nobody_imports_into_another_merchant(db):
    # given a program of A, B's owner and A's support
    program_a = program_with_tiers()
    support_a = client_of(staff_user(program_a.merchant, role=StaffRole.SUPPORT))
    owner_b = client_of(staff_user(MerchantFactory(), role=StaffRole.OWNER, username="owner-b"))
    upload = SimpleUploadedFile("x.csv", b"customer_id\nc-1\n", content_type="text/csv")
    # when support uploads, and B's owner names A's program
    refused = support_a.post(reverse("admin:members_importjob_upload"), {"program": program_a.pk, "file": upload})
    upload.seek(0)
    other = owner_b.post(reverse("admin:members_importjob_upload"), {"program": program_a.pk, "file": upload})
    # then support is forbidden and B's choice is not a valid one
    assert refused.status_code == 403
    assert other.status_code == 200 and "Select a valid choice" in other.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(db):
    # given the owner
    program = program_with_tiers()
    client = client_of(staff_user(program.merchant))
    upload = SimpleUploadedFile("x.csv", "customer_id\nJosé\n".encode("latin-1"), content_type="text/csv")
    # when they upload a Latin-1 file
    response = client.post(reverse("admin:members_importjob_upload"), {"program": program.pk, "file": upload})
    # then a clear message, no job
    assert "not UTF-8" in response.content.decode()
    assert not ImportJob.objects.exists()
