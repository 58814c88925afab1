"""progress: maintained people per program and year per unit subtree, event fan-out and tallies (issue 13)

Revision ID: a1c0c0a1c022
Revises: a1c0c0a1c021
Create Date: 2026-11-22 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c022'
down_revision = 'a1c0c0a1c021'
branch_labels = None
depends_on = None

# Fill both tables from the existing rows, as `flask counts rebuild` (progress/counters.py) does, so an
# upgraded database shows right figures at once. Plain SQL on this revision's schema (the models move on).
# A person is reached by a program at a counted check-in (neither pending nor voided) at a published event
# of it (primary or additional program), or at a visit to a station that counts toward it that year; the
# row goes to the organizing unit and every unit above it (path prefix), with the earliest start. The same
# rows per year ('y') count every program of that year together.
_COUNTED = "e.status = 'published' AND c.status <> 'pending' AND c.voided_at IS NULL"
_FILL_REACH = """
WITH src AS (
  SELECT c.participant_id, e.program_id, e.organization_id, e.starts_at
  FROM check_in c JOIN event e ON e.id = c.event_id WHERE {counted}
  UNION ALL
  SELECT c.participant_id, ep.program_id, e.organization_id, e.starts_at
  FROM check_in c JOIN event e ON e.id = c.event_id JOIN event_program ep ON ep.event_id = e.id
  WHERE {counted} AND ep.program_id <> e.program_id
  UNION ALL
  SELECT v.participant_id, sp.program_id, s.organization_id, v.visited_at
  FROM station_visit v JOIN station s ON s.id = v.station_id
  JOIN station_program sp ON sp.station_id = v.station_id AND sp.year = {visit_year}
),
firsts AS (
  SELECT participant_id, program_id, organization_id, MIN(starts_at) AS starts_at
  FROM src GROUP BY participant_id, program_id, organization_id
),
units AS (
  SELECT o.id AS organizer_id, a.id AS id FROM organization o JOIN organization a ON o.path LIKE a.path || '%'
)
INSERT INTO person_reach (participant_id, kind, bucket, organization_id, first_starts_at)
SELECT f.participant_id, 'p', f.program_id, u.id, MIN(f.starts_at)
FROM firsts f JOIN units u ON u.organizer_id = f.organization_id
GROUP BY f.participant_id, f.program_id, u.id
UNION ALL
SELECT f.participant_id, 'y', p.year, u.id, MIN(f.starts_at)
FROM firsts f JOIN program p ON p.id = f.program_id JOIN units u ON u.organizer_id = f.organization_id
GROUP BY f.participant_id, p.year, u.id
"""
# Per event: its programs (primary and additional) and their years, at its organizer and every unit above.
_FILL_EVENT_REACH = """
WITH programs AS (
  SELECT id AS event_id, program_id, organization_id FROM event
  UNION SELECT ep.event_id, ep.program_id, e.organization_id FROM event_program ep JOIN event e ON e.id = ep.event_id
),
units AS (
  SELECT o.id AS organizer_id, a.id AS id FROM organization o JOIN organization a ON o.path LIKE a.path || '%'
)
INSERT INTO event_reach (event_id, kind, bucket, organization_id)
SELECT g.event_id, 'p', g.program_id, u.id FROM programs g JOIN units u ON u.organizer_id = g.organization_id
UNION
SELECT g.event_id, 'y', p.year, u.id FROM programs g JOIN program p ON p.id = g.program_id
JOIN units u ON u.organizer_id = g.organization_id
"""
# Sums over published events per organizer: per program and level (the primary program, then each additional
# one apart) and per China-time month (each event once); 人次 from event_count.
_SUMS = ("COUNT(*), SUM(COALESCE(e.onsite_count, 0)), SUM(COALESCE(e.online_count, 0)), "
         "SUM(COALESCE(c.checkins, 0))")
_FILL_TALLY = f"""
INSERT INTO event_tally (organization_id, kind, bucket, level, is_primary, sessions, onsite, online, checkins)
SELECT e.organization_id, 'p', e.program_id, e.level, TRUE, {_SUMS}
FROM event e LEFT JOIN event_count c ON c.event_id = e.id WHERE e.status = 'published'
GROUP BY e.organization_id, e.program_id, e.level
UNION ALL
SELECT e.organization_id, 'p', ep.program_id, e.level, FALSE, {_SUMS}
FROM event e JOIN event_program ep ON ep.event_id = e.id LEFT JOIN event_count c ON c.event_id = e.id
WHERE e.status = 'published' AND ep.program_id <> e.program_id
GROUP BY e.organization_id, ep.program_id, e.level
UNION ALL
SELECT e.organization_id, 'm', {{month}}, '', TRUE, {_SUMS}
FROM event e LEFT JOIN event_count c ON c.event_id = e.id WHERE e.status = 'published'
GROUP BY e.organization_id, {{month}}
"""
_FILL_COUNT = """
INSERT INTO reach_count (kind, bucket, organization_id, people)
SELECT kind, bucket, organization_id, COUNT(*) FROM person_reach GROUP BY kind, bucket, organization_id
"""


def upgrade():
    op.create_table(
        'person_reach',
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('first_starts_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('p', 'y')", name=op.f('ck_person_reach_kind')),
        sa.PrimaryKeyConstraint('participant_id', 'kind', 'bucket', 'organization_id', name=op.f('pk_person_reach')),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_person_reach_bucket', 'person_reach',
                    ['kind', 'bucket', 'organization_id', 'first_starts_at'], unique=False)
    op.create_table(
        'event_reach',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('p', 'y')", name=op.f('ck_event_reach_kind')),
        sa.PrimaryKeyConstraint('event_id', 'kind', 'bucket', 'organization_id', name=op.f('pk_event_reach')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'event_tally',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('is_primary', sa.Boolean(), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default='0', nullable=False)
          for name in ('sessions', 'onsite', 'online', 'checkins')],
        sa.CheckConstraint("kind IN ('p', 'm')", name=op.f('ck_event_tally_kind')),
        sa.PrimaryKeyConstraint('organization_id', 'kind', 'bucket', 'level', 'is_primary',
                                name=op.f('pk_event_tally')),
    )
    op.create_table(
        'reach_count',
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint("kind IN ('p', 'y')", name=op.f('ck_reach_count_kind')),
        sa.PrimaryKeyConstraint('kind', 'bucket', 'organization_id', name=op.f('pk_reach_count')),
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    visit_year = ("CAST(EXTRACT(year FROM v.visit_date) AS INTEGER)" if postgres
                  else "CAST(STRFTIME('%Y', v.visit_date) AS INTEGER)")
    month = ("CAST(to_char(e.starts_at + interval '8 hours', 'YYYYMM') AS INTEGER)" if postgres
             else "CAST(strftime('%Y%m', substr(e.starts_at, 1, 19), '+8 hours') AS INTEGER)")
    op.execute(_FILL_REACH.format(counted=_COUNTED, visit_year=visit_year))
    op.execute(_FILL_COUNT)
    op.execute(_FILL_EVENT_REACH)
    op.execute(_FILL_TALLY.format(month=month))


def downgrade():
    op.drop_table('reach_count')
    op.drop_table('event_tally')
    op.drop_table('event_reach')
    op.drop_index('ix_person_reach_bucket', table_name='person_reach')
    op.drop_table('person_reach')
