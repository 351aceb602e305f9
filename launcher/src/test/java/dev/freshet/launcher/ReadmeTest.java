package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.launcher.internal.RunCommand;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.serving.ServingConfig;
import dev.freshet.trainer.TrainerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/** The README's configuration table is for users; it must name every key the components accept. */
class ReadmeTest {

    @Test
    void documentsEveryConfigurationKey() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (ConfigDef def : List.of(RunCommand.configDef(), FeatureStoreConfig.configDef(), TrainerConfig.configDef(),
                ServingConfig.configDef(), MonitorConfig.configDef())) {
            for (String key : def.names()) {
                assertThat(readme).as("README.md documents %s", key).contains("`" + key + "`");
            }
        }
    }
}
