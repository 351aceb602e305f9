package dev.freshet.featurestore.internal.view;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.InvalidFeatureViewException;

/**
 * Reads feature views from YAML documents and validates them, each alone ({@link ViewReader}) and together
 * ({@link CrossViewRules}), collecting every problem with its path before refusing them. Stateless and thread-safe.
 */
public final class FeatureViewParser {
    /** Writes one view's definition for the registry, as a person would: no document marker, few quotes. */
    private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
        .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
        .build());
    private static final String A_VIEW = "a mapping with name, entity, event_time, fields and aggregations";

    private FeatureViewParser() {
    }

    /**
     * Reads and validates the view in a YAML file.
     *
     * @throws InvalidFeatureViewException naming the file, each offending path and the reason
     * @throws FeatureStoreException when the file cannot be read
     */
    public static FeatureView parse(Path file) {
        return parse(read(file, "set featurestore.view.file to a readable YAML file"), file.toString());
    }

    /**
     * Reads and validates a view from YAML text that holds exactly one view.
     *
     * @param source named in the exception's message (e.g. the file), or null
     * @throws InvalidFeatureViewException listing each offending path and the reason
     */
    public static FeatureView parse(String yaml, String source) {
        List<DeclaredView> views = parseAll(yaml, source);
        if (views.size() != 1) {
            throw new InvalidFeatureViewException(source, List.of(DefinitionProblems.DOCUMENT + ": holds "
                + views.size() + " views where one was expected"));
        }
        return views.get(0).view();
    }

    /**
     * Reads and validates every view in a YAML file, as a whole.
     *
     * @throws InvalidFeatureViewException naming the file, each offending path and the reason
     * @throws FeatureStoreException when the file cannot be read
     */
    public static List<DeclaredView> parseAll(Path file) {
        return parseAll(read(file, "check the path and that it is readable"), file.toString());
    }

    private static String read(Path file, String fix) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot read the feature view file " + file + " (" + e + "); " + fix
                + ".", e);
        }
    }

    /**
     * Reads and validates every view in YAML text, as a whole: a single view (a mapping with {@code name}), a
     * mapping {@code views:} holding a list of views, or several YAML documents ({@code ---}), each of either form.
     * Besides each view's own checks, view names must be unique and so must feature names across views of the same
     * entity path, since serving merges their features. Nothing is returned unless everything is valid.
     *
     * @param source named in the exception's message (e.g. the file), or null
     * @return the views in document order; never empty
     * @throws InvalidFeatureViewException listing each offending path (e.g. {@code views[1].fields[0].type}) and
     *     the reason
     */
    public static List<DeclaredView> parseAll(String yaml, String source) {
        DefinitionProblems problems = new DefinitionProblems();
        DefinitionReader reader = new DefinitionReader(problems);
        List<JsonNode> documents = reader.documents(yaml);
        List<DeclaredView> views = new ArrayList<>();
        if (documents.isEmpty() && problems.isEmpty()) {
            problems.add("", "empty; expected a view (" + A_VIEW + ") or a mapping with a views list");
        }
        for (int d = 0; d < documents.size(); d++) {
            String at = documents.size() == 1 ? "" : DefinitionReader.element("documents", d);
            readDocument(documents.get(d), at, reader, views);
        }
        if (problems.isEmpty()) {
            CrossViewRules.check(views, List.of(), problems);
        }
        if (!problems.isEmpty()) {
            throw new InvalidFeatureViewException(source, problems.list());
        }
        return List.copyOf(views);
    }

    /**
     * The problems that registering {@code applied} next to {@code registered} would cause: a feature name that a
     * registered view of the same entity path (other than a view being replaced, by name) already has.
     *
     * @return one {@code "<path>: <reason>"} per clash; empty when the views fit together
     */
    public static List<String> clashesWithRegistered(List<DeclaredView> applied, List<FeatureView> registered) {
        Set<String> replaced = new HashSet<>();
        applied.forEach(v -> replaced.add(v.view().name()));
        List<FeatureView> others = registered.stream().filter(v -> !replaced.contains(v.name())).toList();
        DefinitionProblems problems = new DefinitionProblems();
        CrossViewRules.check(applied, others, problems);
        return problems.list();
    }

    /** One document: a view, or a mapping with a views list and nothing else. */
    private static void readDocument(JsonNode doc, String at, DefinitionReader reader, List<DeclaredView> views) {
        if (!doc.isObject()) {
            reader.problem(at, "expected " + A_VIEW + ", or with a views list");
            return;
        }
        if (!doc.has("views")) {
            addView(doc, at, reader.problems(), views);
            return;
        }
        for (Iterator<String> names = doc.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (!key.equals("views")) {
                reader.problem(DefinitionReader.child(at, key), "unknown key beside views; put each view's keys "
                    + "inside its entry of the views list");
            }
        }
        JsonNode list = doc.get("views");
        String listAt = DefinitionReader.child(at, "views");
        if (!list.isArray() || list.isEmpty()) {
            reader.problem(listAt, "expected a non-empty list of views");
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String viewAt = DefinitionReader.element(listAt, i);
            if (!list.get(i).isObject()) {
                reader.problem(viewAt, "expected " + A_VIEW);
                continue;
            }
            addView(list.get(i), viewAt, reader.problems(), views);
        }
    }

    private static void addView(JsonNode node, String at, DefinitionProblems problems, List<DeclaredView> views) {
        DefinitionProblems own = new DefinitionProblems();
        FeatureView view = new ViewReader(own).view(node);
        problems.addAll(at, own);
        if (view != null) {
            try {
                views.add(new DeclaredView(view, YAML_WRITER.writeValueAsString(node), at.isEmpty() ? "" : at + "."));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("A parsed YAML tree could not be written back", e);
            }
        }
    }

    /**
     * One valid view as declared in a file.
     *
     * @param view the view
     * @param yaml the view's own definition, as YAML (comments are not kept)
     * @param path where it is in the file, as a path prefix: empty for a single-view file, else e.g.
     *     {@code views[1].}
     */
    public record DeclaredView(FeatureView view, String yaml, String path) {
    }
}
