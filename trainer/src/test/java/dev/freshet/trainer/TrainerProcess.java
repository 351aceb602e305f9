package dev.freshet.trainer;

import java.util.HashMap;
import java.util.Map;

/**
 * A trainer in a process of its own, for tests that kill it with {@code kill -9}. Arguments: bootstrap servers,
 * topics prefix, then {@code key=value} configuration. Prints {@code seen <n>} on stdout whenever the number of
 * examples learned changes, and runs until killed.
 */
public final class TrainerProcess {
    private TrainerProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        props.put("topics.prefix", args[1]);
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            props.put(kv[0], kv[1]);
        }
        Trainer trainer = Trainer.start(props);
        long reported = -1;
        while (true) {
            long seen = trainer.stats().examplesSeen();
            if (seen != reported) {
                System.out.println("seen " + seen);
                System.out.flush();
                reported = seen;
            }
            Thread.sleep(5);
        }
    }
}
