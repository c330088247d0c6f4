import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Starts a Neo4j 5.26 Community server with Bolt on 127.0.0.1, for tests and development.
 *
 * Usage: echo PASSWORD | java -cp 'lib/*' Launcher.java HOME PORT
 * The password comes on standard input: on the command line it would show in ps and in debug.log,
 * which records the JVM's command (sun.java.command). Prints "READY bolt://127.0.0.1:PORT" once Bolt
 * accepts connections, then runs until killed.
 */
public class Launcher {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (password == null || password.isEmpty()) {
            System.err.println("no password on standard input");
            System.exit(2);
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(1024))
            .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
            // A test and development server needs no log history for recovery to a point in time;
            // the default keeps two days of transaction logs, which grew to 41 GB under the test suite.
            // Logs are pruned at checkpoints, so those come every few minutes rather than every 15.
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
            .setConfig(GraphDatabaseSettings.check_point_interval_time, Duration.ofMinutes(3))
            // No LOAD CSV FROM 'file:///...': without an import directory it would read any file the server can.
            .setConfig(GraphDatabaseSettings.allow_file_urls, false)
            // No procedure from a jar on the class path loads unless named here (the project itself calls none).
            // Neo4j's built-in procedures (db.createLabel, dbms.listConfig, ...) load whatever this says; the
            // fence for those is the console's read-only session and plan check.
            .setConfig(GraphDatabaseSettings.procedure_allowlist, List.of(
                "db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.*", "db.info", "db.ping",
                "dbms.components"))
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        // A fresh home has user neo4j/neo4j with a forced change; set the password we were given.
        var system = dbms.database("system");
        try {
            system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", java.util.Map.of("pw", password));
        } catch (Exception e) {
            System.err.println("password not changed: " + e.getMessage());
        }
        dbms.database("neo4j"); // fail fast if the default database cannot start
        System.out.println("READY bolt://127.0.0.1:" + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
