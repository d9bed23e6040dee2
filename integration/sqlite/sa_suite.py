"""SQLAlchemy 2 (postgresql+psycopg dialect) against the SQLite database through the proxy:
dialect initialisation (its pg_catalog queries), Core create_all / CRUD / drop_all with typed
columns, ORM with a one-to-many relationship over a FOREIGN KEY, a rolled back transaction, and
the foreign key enforced (23503)."""

import datetime as dt
from decimal import Decimal

import harness as h


def url():
    from sqlalchemy.engine import URL

    return URL.create(
        "postgresql+psycopg",
        username=h.USER,
        password=h.PASSWORD,
        host=h.HOST,
        port=h.PG_PORT,
        database=h.DATABASE,
    )


def main():
    import sqlalchemy as sa
    from sqlalchemy import orm

    c = h.Checks("sqlalchemy")
    suffix = h.unique("sa").removeprefix("it_sa_")
    engine = sa.create_engine(url(), pool_size=3, max_overflow=0, connect_args={"connect_timeout": 10})

    def connect():
        with engine.connect() as conn:
            h.expect_equal("SELECT 1", conn.execute(sa.text("SELECT 1")).scalar(), 1)
        d = engine.dialect
        return f"SQLAlchemy {sa.__version__}, server_version_info={d.server_version_info}, default_schema={d.default_schema_name!r}"

    c.run("engine connects (dialect initialisation: version, schema, catalog lookups)", connect)

    # ---------------------------------------------------------------- Core
    meta = sa.MetaData()
    items = sa.Table(
        f"it_sa_items_{suffix}",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("weight", sa.Float),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
        sa.Column("born", sa.Date),
        sa.Column("seen", sa.DateTime),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("count", sa.BigInteger),
    )

    def core_create():
        meta.create_all(engine)
        with engine.connect() as conn:
            present = sa.inspect(conn).has_table(items.name)
        h.expect_equal("has_table after create_all", present, True)
        return "CREATE TABLE via create_all (checkfirst: has_table queried the catalog)"

    created = c.run("Core metadata.create_all", core_create)

    def core_crud():
        if not created:
            raise AssertionError("create_all failed")
        rows = [
            dict(name=f"item{k}", price=Decimal(f"{k}.25"), weight=k * 0.5, active=k % 2 == 0,
                 born=dt.date(2020, 1, k + 1), seen=dt.datetime(2021, 2, 3, 4, 5, k, 678000),
                 blob=bytes([k, 0, 255]), count=2**40 + k)
            for k in range(10)
        ]
        with engine.begin() as conn:
            conn.execute(items.insert(), rows)
            r = conn.execute(items.insert().values(name="single", count=-(2**63)).returning(items.c.id))
            single_id = r.scalar_one()
        with engine.begin() as conn:
            got = conn.execute(sa.select(items).where(items.c.name == "item3")).mappings().one()
            want = rows[3]
            for k, v in want.items():
                if got[k] != v or type(got[k]) is not type(v):
                    raise AssertionError(f"column {k}: got {got[k]!r} ({type(got[k]).__name__}), want {v!r}")
            n = conn.execute(sa.select(sa.func.count()).select_from(items).where(items.c.active)).scalar()
            h.expect_equal("count of active (5 + the defaulted one)", n, 6)
            default = conn.execute(sa.select(items.c.active, items.c.count).where(items.c.id == single_id)).one()
            h.expect_equal("defaulted boolean, min int64", tuple(default), (True, -(2**63)))
            u = conn.execute(items.update().where(items.c.price > Decimal("5")).values(weight=items.c.weight * 2))
            h.expect_equal("UPDATE rowcount", u.rowcount, 5)
            d = conn.execute(items.delete().where(items.c.name.in_(["item0", "item1"])))
            h.expect_equal("DELETE rowcount", d.rowcount, 2)
            total = conn.execute(sa.select(sa.func.sum(items.c.weight))).scalar()
            h.expect_equal("sum of weights", total, sum(k * 0.5 for k in range(2, 5)) + sum(k * 1.0 for k in range(5, 10)))
        return "bulk insert (insertmanyvalues), RETURNING, typed select, IN, UPDATE/DELETE rowcounts"

    c.run("Core CRUD with Numeric, Float, Boolean, Date, DateTime, LargeBinary, BigInteger", core_crud)

    def core_tables():
        if not created:
            raise AssertionError("create_all failed")
        names = sa.inspect(engine).get_table_names()
        if items.name not in names:
            raise AssertionError(f"{items.name} not in get_table_names(): {names[:20]}")
        return f"{len(names)} tables listed"

    c.run("inspect(engine).get_table_names() lists the table", core_tables)

    # ---------------------------------------------------------------- ORM
    class Base(orm.DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = f"it_sa_author_{suffix}"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(100), unique=True)
        books: orm.Mapped[list["Book"]] = orm.relationship(
            back_populates="author", cascade="all, delete-orphan", order_by="Book.id")

    class Book(Base):
        __tablename__ = f"it_sa_book_{suffix}"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
        published: orm.Mapped[dt.date | None]
        author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey(f"{Author.__tablename__}.id"))
        author: orm.Mapped[Author] = orm.relationship(back_populates="books")

    def orm_create():
        Base.metadata.create_all(engine)
        return "two tables, FOREIGN KEY author_id"

    orm_ready = c.run("ORM create_all (Author 1-n Book)", orm_create)

    def orm_crud():
        if not orm_ready:
            raise AssertionError("ORM create_all failed")
        with orm.Session(engine) as s:
            a = Author(name="Ursula", books=[Book(title=f"Book {k}", published=dt.date(1970 + k, 1, 1)) for k in range(3)])
            s.add(a)
            s.commit()
            author_id = a.id
        with orm.Session(engine) as s:
            a = s.scalars(sa.select(Author).options(orm.selectinload(Author.books)).where(Author.id == author_id)).one()
            h.expect_equal("books", [b.title for b in a.books], ["Book 0", "Book 1", "Book 2"])
            h.expect_equal("back reference", a.books[1].author.name, "Ursula")
            a.books[0].title = "Renamed"
            del a.books[2]
            s.commit()
        with orm.Session(engine) as s:
            titles = s.scalars(sa.select(Book.title).join(Book.author).where(Author.name == "Ursula").order_by(Book.id)).all()
            h.expect_equal("titles after update + delete-orphan", titles, ["Renamed", "Book 1"])
            joined = s.execute(sa.select(Author.name, sa.func.count(Book.id)).join(Book).group_by(Author.name)).all()
            h.expect_equal("join + group by", [tuple(r) for r in joined], [("Ursula", 2)])
        return "insert with children, selectinload, lazy back reference, update, delete-orphan, join"

    c.run("ORM CRUD across the relationship", orm_crud)

    def orm_rollback():
        if not orm_ready:
            raise AssertionError("ORM create_all failed")
        with orm.Session(engine) as s:
            a = Author(name="Ghost", books=[Book(title="Never")])
            s.add(a)
            s.flush()
            h.expect_equal("id assigned by flush", isinstance(a.id, int), True)
            s.rollback()
        with orm.Session(engine) as s:
            n = s.scalar(sa.select(sa.func.count()).select_from(Author).where(Author.name == "Ghost"))
            m = s.scalar(sa.select(sa.func.count()).select_from(Book).where(Book.title == "Never"))
            h.expect_equal("rows of the rolled back transaction", (n, m), (0, 0))
        return "flushed rows gone after rollback"

    c.run("ORM transaction rolled back", orm_rollback)

    def orm_fk():
        if not orm_ready:
            raise AssertionError("ORM create_all failed")
        with orm.Session(engine) as s:
            s.add(Book(title="Orphan", author_id=987654))
            try:
                s.commit()
            except sa.exc.IntegrityError as e:
                state = getattr(e.orig, "sqlstate", None)
                s.rollback()
                if state != "23503":
                    raise AssertionError(f"IntegrityError with SQLSTATE {state}, want 23503: {e.orig}") from None
                h.expect_equal("session after the error", s.scalar(sa.select(sa.literal(1))), 1)
                return "IntegrityError 23503, session usable after rollback"
            raise AssertionError("a book with a missing author was committed (FOREIGN KEY not enforced)")

    c.run("ORM foreign key violation -> IntegrityError 23503", orm_fk)

    def drop_all():
        Base.metadata.drop_all(engine)
        meta.drop_all(engine)
        insp = sa.inspect(engine)
        left = [t for t in (items.name, Author.__tablename__, Book.__tablename__) if insp.has_table(t)]
        if left:
            raise AssertionError(f"still present after drop_all: {left}")
        return "DROP TABLE in dependency order; has_table false afterwards"

    c.run("drop_all", drop_all)
    engine.dispose()
    return c.finish()


if __name__ == "__main__":
    raise SystemExit(main())
