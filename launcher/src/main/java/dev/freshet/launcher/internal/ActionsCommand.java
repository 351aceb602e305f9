package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.freshet.monitor.MonitorReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code freshet actions}: every command that changed what serves a model or how it is trained (ROLLBACK, RETRAIN,
 * RESET, PAUSE, RESUME by the monitor or an operator; PIN, UNPIN, PROMOTE through serving's admin RPCs), with who
 * issued it (the authenticated principal for an admin RPC), its reason and the figures behind it. Changes to
 * feature views are listed by {@code freshet features history}.
 */
@Command(name = "actions", mixinStandardHelpOptions = true,
    description = "List every command on a model (ROLLBACK, RETRAIN, RESET, PAUSE, RESUME, PIN, UNPIN, "
        + "PROMOTE), oldest first, with who issued it, its reason and figures. Feature view changes: freshet "
        + "features history.")
public final class ActionsCommand implements Callable<Integer> {
    @Mixin
    ReportCommand.ReportOptions cluster = new ReportCommand.ReportOptions();

    @Option(names = "--json", description = "Print the actions as JSON (the report's 'actions' array) instead.")
    boolean json;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        MonitorReport report = cluster.read();
        if (json) {
            out.println(actionsJson(report));
            return 0;
        }
        if (report.actions().isEmpty()) {
            out.printf("No command for model '%s' on %scommands.%n", report.model(), cluster.cluster.topics().prefix());
            return 0;
        }
        out.printf("%d action(s) for model '%s':%n", report.actions().size(), report.model());
        for (MonitorReport.Action a : report.actions()) {
            out.printf("%s  %-8s %s by %s (command %s)%n", Instant.ofEpochMilli(a.issuedAtMs()), a.type(),
                versions(a), a.issuedBy(), a.commandId());
            out.println("    reason:  " + a.reason());
            if (!a.evidence().isEmpty()) {
                StringBuilder figures = new StringBuilder();
                a.evidence().forEach((k, v) -> figures.append(figures.length() == 0 ? "" : ", ").append(k).append('=')
                    .append(String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f" : "%.4f", v)));
                out.println("    figures: " + figures);
            }
        }
        return 0;
    }

    /** What the command did to which version, in the command's own terms (target_version means per type). */
    static String versions(MonitorReport.Action a) {
        return switch (a.type()) {
            case "ROLLBACK" -> "v" + a.targetVersion() + " -> v" + a.restoreVersion();
            case "PIN" -> "v" + a.targetVersion() + " pinned";
            case "UNPIN" -> "pin released, serving follows the rollout again";
            case "PROMOTE" -> "v" + a.targetVersion() + " made champion";
            // The trainer's commands: target_version is what served when it was issued.
            default -> "(v" + a.targetVersion() + " serving)";
        };
    }

    private static String actionsJson(MonitorReport report) {
        // The report's JSON holds the same records; cut out its actions array rather than map twice.
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(
                mapper.readTree(report.toJson()).get("actions"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LauncherException("Could not write the actions as JSON: " + e.getMessage(), e);
        }
    }
}
