// pgjdbc (Debian's libpostgresql-jdbc-java) through the wicket gateway.
//
// `JdbcClient basic URL`: statements prepared on the server (prepareThreshold=1), batches,
// int4[] and an enum (pgjdbc looks their types up in pg_type), a fetch size (portal
// suspension). `JdbcClient metadata URL`: DatabaseMetaData, which reads the catalog.
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

public class JdbcClient {
    static void expect(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String url = args[1];
        try (Connection c = DriverManager.getConnection(url)) {
            if (mode.equals("basic")) {
                basic(c);
            } else {
                metadata(c);
            }
        } catch (SQLException e) {
            System.err.println("SQLSTATE " + e.getSQLState() + ": " + e.getMessage());
            System.exit(1);
        }
        System.out.println("pgjdbc " + mode + " ok");
    }

    static void basic(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select name from customers where id = ?")) {
            for (int round = 0; round < 5; round++) {
                ps.setInt(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    expect(rs.next() && rs.getString(1).equals("ada"), "prepared select");
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("insert into t (x) values (?)")) {
            for (int i = 0; i < 3; i++) {
                ps.setInt(1, 200 + i);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            expect(counts.length == 3, "batch insert");
        }
        try (PreparedStatement ps = c.prepareStatement("select tags, mood from gadgets where id = ?")) {
            ps.setInt(1, 1);
            try (ResultSet rs = ps.executeQuery()) {
                expect(rs.next(), "a gadget");
                Array tags = rs.getArray(1);
                Integer[] values = (Integer[]) tags.getArray();
                expect(values.length == 3 && values[2] == 3, "int4[]");
                Object mood = rs.getObject(2);
                expect(mood.toString().equals("happy"), "enum: " + mood);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("select ?::int4[]")) {
            ps.setArray(1, c.createArrayOf("int4", new Integer[] {4, 5}));
            try (ResultSet rs = ps.executeQuery()) {
                expect(rs.next() && ((Integer[]) rs.getArray(1).getArray()).length == 2, "array parameter");
            }
        }
        // A fetch size inside a transaction: the portal is suspended and resumed.
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("select x from t order by x")) {
            ps.setFetchSize(2);
            List<Integer> xs = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    xs.add(rs.getInt(1));
                }
            }
            expect(xs.size() >= 4, "fetch size: " + xs);
        }
        c.commit();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select version(), current_user")) {
                expect(rs.next(), "session basics");
            }
        }
        expect(c.isValid(10), "isValid");
        // A batch with a denied statement in the middle fails whole, in one transaction.
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.addBatch("insert into t (x) values (950)");
            st.addBatch("delete from pg_description");
            st.addBatch("insert into t (x) values (951)");
            st.executeBatch();
            expect(false, "a batch with a denied statement ran");
        } catch (java.sql.BatchUpdateException e) {
            expect("42501".equals(e.getSQLState()) || e.getNextException() != null, "batch: " + e);
        }
        c.rollback();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from t where x in (950, 951)")) {
            expect(rs.next() && rs.getInt(1) == 0, "after a denied batch");
        }
        // Generated keys (RETURNING), a savepoint, and a denial that leaves the rest.
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(
                "insert into t (x) values (?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setInt(1, 900);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                expect(keys.next() && keys.getInt(1) == 900, "generated keys");
            }
        }
        java.sql.Savepoint sp = c.setSavepoint();
        try (Statement st = c.createStatement()) {
            st.executeQuery("select * from pg_authid");
            expect(false, "pg_authid was readable");
        } catch (SQLException e) {
            expect("42501".equals(e.getSQLState()), "denied: " + e.getSQLState());
        }
        c.rollback(sp);
        c.commit();
        c.setAutoCommit(true);
        // Read-only transactions, and an enum parameter sent untyped.
        c.setReadOnly(true);
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("select count(*) from gadgets where mood = ?::mood")) {
            ps.setString(1, "sad");
            try (ResultSet rs = ps.executeQuery()) {
                expect(rs.next() && rs.getInt(1) == 1, "enum parameter");
            }
        }
        c.commit();
        c.setAutoCommit(true);
        c.setReadOnly(false);
        // Notifications: the sender is this session's own backend.
        try (Statement st = c.createStatement()) {
            st.execute("LISTEN wicket_test");
            st.execute("NOTIFY wicket_test, 'hi'");
            int pid;
            try (ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            org.postgresql.PGNotification[] notes =
                c.unwrap(org.postgresql.PGConnection.class).getNotifications(30000);
            expect(notes != null && notes.length == 1 && notes[0].getPID() == pid
                    && pid == c.unwrap(org.postgresql.PGConnection.class).getBackendPID(),
                    "notification");
        }
    }

    static void metadata(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME"));
            }
        }
        expect(tables.contains("customers") && tables.contains("gadgets"), "getTables: " + tables);
        List<String> columns = new ArrayList<>();
        try (ResultSet rs = md.getColumns(null, "public", "gadgets", "%")) {
            while (rs.next()) {
                columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
        }
        expect(columns.contains("tags:_int4") && columns.contains("mood:mood"), "getColumns: " + columns);
        try (ResultSet rs = md.getPrimaryKeys(null, "public", "customers")) {
            expect(rs.next() && rs.getString("COLUMN_NAME").equals("id"), "getPrimaryKeys");
        }
        try (ResultSet rs = md.getIndexInfo(null, "public", "customers", false, false)) {
            expect(rs.next(), "getIndexInfo");
        }
        try (ResultSet rs = md.getSchemas()) {
            expect(rs.next(), "getSchemas");
        }
        try (ResultSet rs = md.getImportedKeys(null, "public", "payments")) {
            expect(rs.next() && rs.getString("PKTABLE_NAME").equals("customers"), "getImportedKeys");
        }
        // What a column may hold: pgjdbc reads pg_attribute for it.
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id, label from gadgets")) {
            java.sql.ResultSetMetaData rsmd = rs.getMetaData();
            expect(rsmd.isNullable(1) == java.sql.ResultSetMetaData.columnNoNulls, "isNullable");
            expect(rsmd.getTableName(2).equals("gadgets"), "getTableName");
        }
    }
}
