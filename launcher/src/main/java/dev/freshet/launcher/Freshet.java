package dev.freshet.launcher;

import java.util.List;
import java.util.Optional;

import dev.freshet.launcher.internal.CommandFailedException;
import dev.freshet.launcher.internal.ConfigDocsCommand;
import dev.freshet.launcher.internal.DemoCommand;
import dev.freshet.launcher.internal.KafkaRefusal;
import dev.freshet.launcher.internal.LauncherException;
import dev.freshet.launcher.internal.RunCommand;
import dev.freshet.launcher.internal.StageStoppedException;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code freshet} command. The only class in Freshet that calls {@link System#exit}. */
@Command(name = "freshet",
    mixinStandardHelpOptions = true,
    versionProvider = Freshet.Version.class,
    description = "Online machine learning on Kafka: streaming features, incremental training, hot-swapped gRPC scoring, drift monitoring.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:done, or stopped by a signal",
        "1:failed while running: a stage of a component stopped for good, or Kafka refused records sent",
        "2:refused before starting: a key, a file, a port in use, an unreachable cluster (add -v for the stack trace)"},
    subcommands = {DemoCommand.class, RunCommand.class, Freshet.ConfigCommand.class, CommandLine.HelpCommand.class,
        dev.freshet.launcher.internal.ReportCommand.class, dev.freshet.launcher.internal.ActionsCommand.class,
        dev.freshet.launcher.internal.ReplayCommand.class, dev.freshet.launcher.internal.ServingAdminCommand.class,
        dev.freshet.launcher.internal.ModelsCommand.class, dev.freshet.launcher.internal.FeaturesCommand.class,
        dev.freshet.launcher.internal.AclsCommand.class})
public final class Freshet {

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
        description = "Print the stack trace of a refusal too; freshet demo also shows the components' own log.")
    boolean verbose;

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
        if (argList.contains("demo") && !argList.contains("-v") && !argList.contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.log.dev.freshet", "warn");
        }
    }

    /**
     * Runs the command line and returns its exit code: 0 done, 1 a stage stopped while running, 2 a start-up
     * mistake. Mistakes a user can fix and stopped stages are printed as one {@code freshet:} line, without a stack
     * trace unless {@code -v}.
     */
    public static int execute(String... args) {
        routeJavaUtilLoggingToSlf4j();
        Freshet freshet = new Freshet();
        CommandLine commandLine = new CommandLine(freshet);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code;
            String original = e.getMessage();
            String message = original;
            if (e instanceof StageStoppedException || e instanceof CommandFailedException) {
                code = 1;
            } else {
                // A refused password or ACL says as whom and what to check, whichever verb met it.
                Optional<String> refused = KafkaRefusal.describe(e, parsed)
                    .filter(line -> original == null || !original.contains(line));
                if (refused.isPresent()) {
                    message = refused.get();
                } else if (!(e instanceof LauncherException || e instanceof ConfigException)) {
                    throw e;
                }
                code = 2;
            }
            cmd.getErr().println("freshet: " + message);
            if (freshet.verbose) {
                e.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return code;
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
