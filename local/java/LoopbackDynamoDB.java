import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local on one interface only. Its own launcher has no host option and binds Jetty to
 * every interface, so anyone on the network could write to the table (an operator API key
 * included). This builds the same server from the same command line, then binds its connectors
 * to the host given first (127.0.0.1) before starting it.
 *
 * Usage: java -cp DynamoDBLocal.jar:local/java LoopbackDynamoDB 127.0.0.1 -port 8000 -inMemory ...
 * The compiled class is committed beside this file (built with `javac --release 17`, see
 * local/stack.ts), so a Java runtime without a compiler runs it.
 */
public final class LoopbackDynamoDB {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LoopbackDynamoDB <host> [DynamoDB Local options]");
      System.exit(2);
    }
    String host = args[0];
    DynamoDBProxyServer proxy =
        ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
  }
}
