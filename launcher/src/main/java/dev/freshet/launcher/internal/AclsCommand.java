package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.TopicLayout;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.ResourceType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code freshet acls}: the ACLs a principal needs to run a loop on a secured cluster ({@link TopicLayout#acls}),
 * printed as {@code kafka-acls} lines, or created through an administrator's credentials.
 */
@Command(name = "acls", mixinStandardHelpOptions = true,
    description = {"Print the ACLs a principal needs to run every component and CLI verb of one loop (all prefixed "
        + "by the loop's topics.prefix) as kafka-acls lines, or create them with --create.",
        "With --create, --config must authenticate as a principal allowed to create ACLs (ALTER on the cluster)."})
public final class AclsCommand implements Callable<Integer> {
    private static final long TIMEOUT_SECONDS = 30;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--principal", required = true, paramLabel = "User:NAME",
        description = "The principal Freshet's components authenticate as, e.g. User:freshet.")
    String principal;

    @Option(names = "--create", description = "Create the ACLs on the cluster instead of printing them.")
    boolean create;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        if (!principal.matches("[A-Za-z]+:.+")) {
            throw new LauncherException("--principal must be TYPE:NAME, e.g. User:freshet; got '" + principal + "'");
        }
        TopicLayout topics = cluster.topics();
        List<AclBinding> acls;
        try {
            acls = topics.acls(principal);
        } catch (IllegalStateException e) {
            throw new LauncherException(e.getMessage(), e);
        }
        if (!create) {
            String bootstrap = String.valueOf(cluster.withOptions().getOrDefault("bootstrap.servers", ""));
            kafkaAclsLines(acls, bootstrap.isBlank() ? "HOST:PORT" : bootstrap).forEach(out::println);
            return 0;
        }
        KafkaClients clients = cluster.clients();
        try (Admin admin = clients.admin()) {
            admin.createAcls(acls).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("Interrupted while creating ACLs", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new LauncherException(KafkaAccessException.find(cause, clients.identity(), "creating ACLs")
                .map(RuntimeException::getMessage)
                .orElse("Could not create ACLs on " + clients.bootstrapServers() + ": " + cause.getMessage()), cause);
        }
        out.printf(Locale.ROOT, "Created %d ACLs for %s on topics, groups and transactional ids prefixed '%s'.%n",
            acls.size(), principal, topics.prefix());
        return 0;
    }

    /** One {@code kafka-acls} command per resource type, with its operations. */
    static List<String> kafkaAclsLines(List<AclBinding> acls, String bootstrap) {
        Map<String, List<AclBinding>> byResource = acls.stream().collect(Collectors.groupingBy(
            acl -> acl.pattern().resourceType() + " " + acl.pattern().name(), LinkedHashMap::new,
            Collectors.toList()));
        return byResource.values().stream().map(same -> {
            AclBinding first = same.get(0);
            String operations = same.stream().map(acl -> "--operation " + camel(acl.entry().operation().name()))
                .collect(Collectors.joining(" "));
            return "kafka-acls.sh --bootstrap-server " + bootstrap + " --command-config admin.properties --add "
                + "--allow-principal " + first.entry().principal() + " " + operations + " "
                + resourceFlag(first.pattern().resourceType()) + " '" + first.pattern().name() + "' "
                + "--resource-pattern-type prefixed";
        }).toList();
    }

    private static String resourceFlag(ResourceType type) {
        return switch (type) {
            case TOPIC -> "--topic";
            case GROUP -> "--group";
            case TRANSACTIONAL_ID -> "--transactional-id";
            default -> throw new IllegalArgumentException("No kafka-acls flag for " + type);
        };
    }

    /** DESCRIBE_CONFIGS as kafka-acls spells it: DescribeConfigs. */
    private static String camel(String name) {
        StringBuilder camel = new StringBuilder();
        for (String word : name.split("_")) {
            camel.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return camel.toString();
    }
}
