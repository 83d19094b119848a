// pgx (v4, Debian's golang-github-jackc-pgx-v4-dev) through the wicket gateway: parameters,
// a batch, CopyFrom, int4[] and an enum, a statement cache small enough to evict (pgx sends
// SQL `deallocate`), and its recovery after the table changes under a cached statement.
//
// WICKET_DSN is the gateway, WICKET_DIRECT_DSN the database itself (to change the table).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v4"
)

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	ctx := context.Background()
	// A cache of two statements: the third query evicts the first with `deallocate`.
	conn, err := pgx.Connect(ctx, os.Getenv("WICKET_DSN")+" statement_cache_capacity=2")
	check("connect", err)
	defer conn.Close(ctx)

	check("ping", conn.Ping(ctx))
	var name string
	check("query with a parameter", conn.QueryRow(ctx, "select name from customers where id = $1", 1).Scan(&name))
	if name != "ada" {
		check("query with a parameter", fmt.Errorf("got %q", name))
	}

	for round := 0; round < 3; round++ {
		for _, q := range []string{
			"select count(*) from customers where id > $1",
			"select count(*) from payments where id > $1",
			"select count(*) from t where x > $1",
		} {
			var n int64
			check("cached statement "+q, conn.QueryRow(ctx, q, 0).Scan(&n))
		}
	}

	batch := &pgx.Batch{}
	batch.Queue("insert into t (x) values ($1)", 7)
	batch.Queue("select count(*) from t where x = $1", 7)
	results := conn.SendBatch(ctx, batch)
	_, err = results.Exec()
	check("batch insert", err)
	var sevens int64
	check("batch select", results.QueryRow().Scan(&sevens))
	check("batch close", results.Close())
	if sevens != 1 {
		check("batch", fmt.Errorf("%d rows of 7", sevens))
	}

	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"x"},
		pgx.CopyFromRows([][]interface{}{{int32(100)}, {int32(101)}, {int32(102)}}))
	check("CopyFrom", err)
	if copied != 3 {
		check("CopyFrom", fmt.Errorf("copied %d rows", copied))
	}

	var tags []int32
	var mood string
	check("int4[] and an enum", conn.QueryRow(ctx, "select tags, mood::text from gadgets where id = $1", 1).Scan(&tags, &mood))
	if len(tags) != 3 || tags[2] != 3 || mood != "happy" {
		check("int4[] and an enum", fmt.Errorf("got %v %q", tags, mood))
	}
	var moods []string
	rows, err := conn.Query(ctx, "select mood from gadgets order by id")
	check("enum column", err)
	for rows.Next() {
		var m string
		check("enum scan", rows.Scan(&m))
		moods = append(moods, m)
	}
	check("enum rows", rows.Err())
	if len(moods) != 2 {
		check("enum rows", fmt.Errorf("got %v", moods))
	}

	// A batch with a denied statement in the middle. pgx prepares each statement first, and
	// the gateway refuses the denied one at its Parse (as the server refuses a statement
	// naming a missing table), so the batch fails before any of it runs.
	denied := &pgx.Batch{}
	denied.Queue("insert into t (x) values ($1)", 850)
	denied.Queue("select rolpassword from pg_authid")
	denied.Queue("insert into t (x) values ($1)", 851)
	dr := conn.SendBatch(ctx, denied)
	failed := false
	for i := 0; i < 3; i++ {
		if _, err := dr.Exec(); err != nil {
			failed = true
			if !strings.Contains(err.Error(), "pg_authid") || !strings.Contains(err.Error(), "42501") {
				check("batch denial", err)
			}
		}
	}
	dr.Close()
	if !failed {
		check("batch denial", fmt.Errorf("pg_authid was readable"))
	}
	var leftover int64
	check("after a denied batch", conn.QueryRow(ctx, "select count(*) from t where x in (850, 851)").Scan(&leftover))
	if leftover != 0 {
		check("after a denied batch", fmt.Errorf("%d rows", leftover))
	}

	// A transaction, a savepoint rolled back, and a denied statement inside it.
	tx, err := conn.Begin(ctx)
	check("begin", err)
	_, err = tx.Exec(ctx, "insert into t (x) values ($1)", 800)
	check("insert in a transaction", err)
	inner, err := tx.Begin(ctx)
	check("savepoint", err)
	_, err = inner.Exec(ctx, "insert into t (x) values ($1)", 801)
	check("insert after a savepoint", err)
	check("rollback to the savepoint", inner.Rollback(ctx))
	check("commit", tx.Commit(ctx))
	var kept int64
	check("count", conn.QueryRow(ctx, "select count(*) from t where x in (800, 801)").Scan(&kept))
	if kept != 1 {
		check("savepoint", fmt.Errorf("%d rows kept", kept))
	}
	var pw string
	if err := conn.QueryRow(ctx, "select rolpassword from pg_authid limit 1").Scan(&pw); err == nil {
		check("pg_authid", fmt.Errorf("read without a grant"))
	}

	// The simple protocol, pgx quoting the arguments into the SQL itself.
	simple, err := pgx.Connect(ctx, os.Getenv("WICKET_DSN")+" prefer_simple_protocol=true")
	check("simple-protocol connect", err)
	defer simple.Close(ctx)
	check("simple protocol", simple.QueryRow(ctx, "select name from customers where name = $1 and id = $2", "grace", 2).Scan(&name))
	if name != "grace" {
		check("simple protocol", fmt.Errorf("got %q", name))
	}

	// The table changes under a cached statement: pgx drops it (with `deallocate`) and
	// prepares it again on the next use.
	direct, err := pgx.Connect(ctx, os.Getenv("WICKET_DIRECT_DSN"))
	check("direct connect", err)
	defer direct.Close(ctx)
	q := "select * from gadgets where id = $1"
	var id int32
	var label, doc string
	check("before the change", conn.QueryRow(ctx, q, 1).Scan(&id, &tags, &mood, &doc, &label))
	_, err = direct.Exec(ctx, "alter table gadgets add column extra int default 5")
	check("alter table", err)
	var extra int32
	if err := conn.QueryRow(ctx, q, 1).Scan(&id, &tags, &mood, &doc, &label, &extra); err != nil {
		// The first use after the change fails as it does directly; the retry works.
		check("after the change", conn.QueryRow(ctx, q, 1).Scan(&id, &tags, &mood, &doc, &label, &extra))
	}
	if extra != 5 {
		check("after the change", fmt.Errorf("extra = %d", extra))
	}
	fmt.Println("pgx ok")
}
