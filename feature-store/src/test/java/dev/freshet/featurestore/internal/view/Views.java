package dev.freshet.featurestore.internal.view;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import dev.freshet.featurestore.FeatureView;

/** The example view of the issue, for tests. */
final class Views {
    private Views() {
    }

    static String transactionsYaml() {
        try (InputStream in = Views.class.getResourceAsStream("/views/transactions.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FeatureView transactions() {
        return FeatureViewParser.parse(transactionsYaml(), null);
    }
}
