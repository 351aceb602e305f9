package dev.freshet.launcher.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.CommandAck;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code freshet models retrain|reset|pause|resume MODEL --reason R}: sends a command to the model's trainer on the
 * commands topic and waits for its acknowledgement on {@code command-acks}. Exit code 0 when the trainer did it, 1
 * when it refused or failed, 2 when no acknowledgement came in time (or Kafka could not be reached).
 */
public final class ModelControlCommand {
    private ModelControlCommand() {
    }

    /** What every control verb takes, and the send-and-wait they share. */
    abstract static class Control implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL", description = "Name of the model (the trainer's trainer.model.name).")
        String model;

        @Option(names = "--reason", required = true, paramLabel = "TEXT",
            description = "Why, for people: recorded with the command (and as the note of a retrained version).")
        String reason;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--timeout", defaultValue = "30s", converter = DemoCommand.DurationConverter.class,
            paramLabel = "DURATION",
            description = "How long to wait for the trainer's acknowledgement (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(names = "--issued-by", paramLabel = "WHO",
            description = "Who sends it, as recorded in the command (default: operator:<user name>).")
        String issuedBy;

        PrintStream out = System.out;

        abstract Command.Type type();

        @Override
        public Integer call() {
            String commandId = "op-" + UUID.randomUUID();
            Command command = Command.newBuilder()
                .setCommandId(commandId)
                .setType(type())
                .setModel(model)
                .setReason(reason)
                .setIssuedBy(issuedBy != null ? issuedBy : "operator:" + System.getProperty("user.name", "unknown"))
                .setIssuedAtMs(System.currentTimeMillis())
                .build();
            KafkaClients clients = cluster.clients();
            TopicLayout topics = cluster.topics();
            String acksTopic = topics.name(Topic.COMMAND_ACKS);
            String commandsTopic = topics.name(Topic.COMMANDS);
            try (KafkaConsumer<String, byte[]> acks = acksReader(clients, acksTopic)) {
                send(clients, commandsTopic, command);
                out.printf("Sent %s for model '%s' (command %s); waiting up to %s for the trainer.%n", type(), model,
                    commandId, timeout);
                CommandAck ack = await(acks, commandId).orElseThrow(() -> new LauncherException("No acknowledgement "
                    + "of command " + commandId + " on " + acksTopic + " within " + timeout + ": is a trainer for "
                    + "model '" + model + "' running with topics.prefix '" + topics.prefix() + "'? The command stays "
                    + "on " + commandsTopic + "; a trainer that starts later carries it out."));
                out.printf("%s %s: %s%s%n", type(), ack.getOutcome(), ack.getDetail(),
                    ack.getModelVersion() > 0 ? " (v" + ack.getModelVersion() + ")" : "");
                return ack.getOutcome() == CommandAck.Outcome.OK ? 0 : 1;
            } catch (KafkaException e) {
                throw new LauncherException("Could not reach Kafka at " + clients.bootstrapServers() + ": "
                    + e.getMessage(), e);
            }
        }

        /** Positioned at the end of the acks topic before the command is sent, so its acknowledgement is not missed. */
        private KafkaConsumer<String, byte[]> acksReader(KafkaClients clients, String topic) {
            KafkaConsumer<String, byte[]> consumer = clients.committedReader(null, Map.of(), new StringDeserializer(),
                new ByteArrayDeserializer());
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
                if (infos == null || infos.isEmpty()) {
                    throw new LauncherException("Topic '" + topic + "' does not exist: no trainer can acknowledge "
                        + "commands; check --topics-prefix (freshet run creates it).");
                }
                List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(tp -> consumer.position(tp, timeout));
                return consumer;
            } catch (RuntimeException e) {
                consumer.close();
                throw e;
            }
        }

        private void send(KafkaClients clients, String commandsTopic, Command command) {
            try (KafkaProducer<String, byte[]> producer = clients.idempotentProducer(null, Map.of(),
                     new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(commandsTopic, model, command.toByteArray()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LauncherException("Interrupted while sending the command", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new LauncherException("Could not send the command to " + commandsTopic + " at "
                    + clients.bootstrapServers() + ": " + (e.getCause() == null ? e : e.getCause()).getMessage(), e);
            }
        }

        private Optional<CommandAck> await(KafkaConsumer<String, byte[]> acks, String commandId) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : acks.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        continue;
                    }
                    try {
                        CommandAck ack = CommandAck.parseFrom(record.value());
                        if (ack.getCommandId().equals(commandId)) {
                            return Optional.of(ack);
                        }
                    } catch (InvalidProtocolBufferException e) {
                        // Not an acknowledgement: nothing to wait for in it.
                    }
                }
            }
            return Optional.empty();
        }
    }

    @picocli.CommandLine.Command(name = "retrain", mixinStandardHelpOptions = true,
        description = "Ask the trainer for a fresh model from its recent window of examples, then online again; "
            + "waits for its acknowledgement.")
    static final class Retrain extends Control {
        @Override
        Command.Type type() {
            return Command.Type.RETRAIN;
        }
    }

    @picocli.CommandLine.Command(name = "reset", mixinStandardHelpOptions = true,
        description = "Ask the trainer to start a fresh model (no weights, no statistics) and learn on from where it "
            + "reads; its next version has no parent. Waits for its acknowledgement.")
    static final class Reset extends Control {
        @Override
        Command.Type type() {
            return Command.Type.RESET;
        }
    }

    @picocli.CommandLine.Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Ask the trainer to stop learning: it stops reading training examples (they wait in Kafka) "
            + "until resume. Survives trainer restarts. Waits for its acknowledgement.")
    static final class Pause extends Control {
        @Override
        Command.Type type() {
            return Command.Type.PAUSE;
        }
    }

    @picocli.CommandLine.Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Ask a paused trainer to read and learn again from where it stopped. Waits for its "
            + "acknowledgement.")
    static final class Resume extends Control {
        @Override
        Command.Type type() {
            return Command.Type.RESUME;
        }
    }
}
