package dev.freshet.testing;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test a {@link KafkaTestCluster} backed by one embedded broker per test JVM.
 *
 * <p>The broker starts on first use and stops when the JVM's tests are done, so every test class in a
 * module shares it: tests must use their own topic names ({@link KafkaTestCluster#uniqueTopic}).
 * Use with {@code @ExtendWith(EmbeddedKafkaExtension.class)} and a {@code KafkaTestCluster} parameter.
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaTestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
            .getOrComputeIfAbsent("cluster", key -> new KafkaTestCluster(EmbeddedKafkaBroker.start()),
                KafkaTestCluster.class);
    }
}
