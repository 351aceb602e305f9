package dev.freshet.launcher;

import java.util.List;

import dev.freshet.launcher.internal.ConfigDocsCommand;
import dev.freshet.launcher.internal.DemoCommand;
import dev.freshet.launcher.internal.LauncherException;
import dev.freshet.launcher.internal.RunCommand;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code freshet} command. The only class in Freshet that calls {@link System#exit}. */
@Command(name = "freshet",
    mixinStandardHelpOptions = true,
    versionProvider = Freshet.Version.class,
    description = "Online machine learning on Kafka: streaming features, incremental training, hot-swapped gRPC scoring, drift monitoring.",
    subcommands = {DemoCommand.class, RunCommand.class, Freshet.ConfigCommand.class, CommandLine.HelpCommand.class,
        dev.freshet.launcher.internal.ReportCommand.class, dev.freshet.launcher.internal.ActionsCommand.class,
        dev.freshet.launcher.internal.ReplayCommand.class, dev.freshet.launcher.internal.ServingAdminCommand.class,
        dev.freshet.launcher.internal.ModelsCommand.class, dev.freshet.launcher.internal.FeaturesCommand.class})
public final class Freshet {

    private Freshet() {
    }

    public static void main(String[] args) {
        quietComponentsDuringDemo(args);
        System.exit(execute(args));
    }

    // The demo's progress lines are its interface; the components' INFO log (a line per version and swap, every
    // second) would bury them. Must run before the first logger is created, when slf4j-simple reads its levels.
    private static void quietComponentsDuringDemo(String[] args) {
        List<String> argList = List.of(args);
        if (!argList.isEmpty() && argList.get(0).equals("demo")
                && !argList.contains("-v") && !argList.contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.log.dev.freshet", "warn");
        }
    }

    /** Runs the command line and returns its exit code; errors a user can fix are printed without a stack trace. */
    public static int execute(String... args) {
        routeJavaUtilLoggingToSlf4j();
        CommandLine commandLine = new CommandLine(new Freshet());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof LauncherException || e instanceof ConfigException) {
                cmd.getErr().println("freshet: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return commandLine.execute(args);
    }

    // Tribuo logs through java.util.logging, straight to stderr; send it through SLF4J's levels like the rest.
    private static void routeJavaUtilLoggingToSlf4j() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    @Command(name = "config", description = "Configuration of every component.",
        subcommands = {ConfigDocsCommand.class})
    static final class ConfigCommand {
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Freshet.class.getPackage().getImplementationVersion();
            return new String[] {"freshet " + (version == null ? "development build" : version)};
        }
    }
}
