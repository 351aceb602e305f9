package dev.freshet.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/**
 * The layering of Freshet's modules, checked on every class of every module: the bench depends on all of them, so
 * its test classpath holds them all (with the shared test fixtures and the monitor's test jar). A class belongs to
 * the module it was compiled in (its classes directory or jar), a package to the module whose root it lies under
 * ({@link FreshetModule}).
 */
@AnalyzeClasses(packages = "dev.freshet")
class LayeringTest {
    @ArchTest
    static final ArchRule noModuleUsesAnotherModulesInternalPackage = classes()
        .should(new ModuleDependencies("use no other module's internal package", (from, to, target) ->
            to.ownsInternal(target.getPackageName()) && from != to
                ? Optional.of("it is in " + to.directory() + "'s internal package; reach it through "
                    + to.packageRoot() + " (its public package) or a fixture in " + to.directory() + "'s test jar")
                : Optional.empty()));

    @ArchTest
    static final ArchRule noPackageIsSplitAcrossModules = classes().should(new NoSplitPackages());

    @ArchTest
    static final ArchRule everyClassLivesUnderItsModulesPackageRoot = classes()
        .should(new ArchCondition<>("live under the package root of the module they are compiled in") {
            @Override
            public void check(JavaClass item, ConditionEvents events) {
                FreshetModule module = FreshetModule.loadedFrom(item);
                if (!module.owns(item.getPackageName())) {
                    events.add(SimpleConditionEvent.violated(item, item.getName() + " is compiled in "
                        + module.directory() + " but lies outside its package root " + module.packageRoot()
                        + "; move it under " + module.packageRoot()));
                }
            }
        });

    @ArchTest
    static final ArchRule servicesDoNotUseEachOther = classes()
        .should(new ModuleDependencies("use no other service module (feature-store, trainer, serving, monitor)",
            (from, to, target) -> from.isService() && to.isService() && from != to
                ? Optional.of("feature-store, trainer, serving and monitor meet only through proto, contracts and "
                    + "topics; move what both need to contracts")
                : Optional.empty()));

    @ArchTest
    static final ArchRule onlyTheLauncherAndTheBenchWireModulesTogether = classes()
        .should(new ModuleDependencies("leave wiring modules together to the launcher and the bench",
            LayeringTest::wiring));

    @ArchTest
    static final ArchRule contractsAndProtoUseNoOtherModule = classes()
        .should(new ModuleDependencies("use, from contracts, only proto and, from proto, nothing",
            (from, to, target) -> (from == FreshetModule.CONTRACTS && to != FreshetModule.CONTRACTS
                    && to != FreshetModule.PROTO) || (from == FreshetModule.PROTO && to != FreshetModule.PROTO)
                ? Optional.of("every module depends on " + from.directory() + ", so it may depend on no module but "
                    + (from == FreshetModule.PROTO ? "itself" : "proto"))
                : Optional.empty()));

    /** The launcher wires the services; the bench, which measures them all, may use any public package. */
    private static Optional<String> wiring(FreshetModule from, FreshetModule to, JavaClass target) {
        if (from == to || from == FreshetModule.BENCH) {
            return Optional.empty();
        }
        if (to == FreshetModule.BENCH) {
            return Optional.of("no module may depend on the bench");
        }
        if (to == FreshetModule.LAUNCHER) {
            return Optional.of("only the bench may depend on the launcher, which wires everything else");
        }
        if (to.isService() && !from.isService() && from != FreshetModule.LAUNCHER) {
            return Optional.of("only the launcher (and the bench) may use a service module such as "
                + to.directory());
        }
        return Optional.empty();
    }

    /** Decides one dependency: empty when allowed, else why not and what to do. */
    @FunctionalInterface
    private interface Verdict {
        Optional<String> judge(FreshetModule from, FreshetModule to, JavaClass target);
    }

    /**
     * Each dependency of a class on a class in a Freshet package, judged by the module the class is compiled in
     * and the module owning the target's package; one violation per pair of classes, at its first use.
     */
    private static final class ModuleDependencies extends ArchCondition<JavaClass> {
        private final Verdict verdict;

        ModuleDependencies(String description, Verdict verdict) {
            super(description);
            this.verdict = verdict;
        }

        @Override
        public void check(JavaClass item, ConditionEvents events) {
            FreshetModule from = FreshetModule.loadedFrom(item);
            Set<String> reported = new HashSet<>();
            for (Dependency dependency : item.getDirectDependenciesFromSelf()) {
                JavaClass target = dependency.getTargetClass().getBaseComponentType();
                Optional<FreshetModule> to = FreshetModule.owning(target.getPackageName());
                if (to.isEmpty() || reported.contains(target.getName())) {
                    continue;
                }
                Optional<String> why = verdict.judge(from, to.get(), target);
                if (why.isPresent()) {
                    reported.add(target.getName());
                    events.add(SimpleConditionEvent.violated(dependency, from.directory() + " class "
                        + item.getName() + " uses " + target.getName() + " of " + to.get().directory() + ": "
                        + why.get() + ". First use: " + dependency.getDescription()));
                }
            }
        }
    }

    /** A package holds classes of one module only (the JPMS rule, and what keeps package-private access local). */
    private static final class NoSplitPackages extends ArchCondition<JavaClass> {
        private final Map<String, Set<String>> modulesByPackage = new HashMap<>();

        NoSplitPackages() {
            super("be in a package no other module has classes in");
        }

        @Override
        public void init(Collection<JavaClass> allObjectsToTest) {
            modulesByPackage.clear();
            for (JavaClass javaClass : allObjectsToTest) {
                modulesByPackage.computeIfAbsent(javaClass.getPackageName(), p -> new TreeSet<>())
                    .add(FreshetModule.loadedFrom(javaClass).directory());
            }
        }

        @Override
        public void check(JavaClass item, ConditionEvents events) {
            Set<String> modules = modulesByPackage.getOrDefault(item.getPackageName(), Set.of());
            FreshetModule module = FreshetModule.loadedFrom(item);
            Optional<FreshetModule> owner = FreshetModule.owning(item.getPackageName());
            // Only the intruders: the owner's own classes in its package are not what needs to move.
            if (modules.size() > 1 && (owner.isEmpty() || owner.get() != module)) {
                events.add(SimpleConditionEvent.violated(item, "package " + item.getPackageName()
                    + " is split across the modules " + modules + ": " + item.getName() + " comes from "
                    + module.directory() + "; move it under " + module.packageRoot()));
            }
        }
    }
}
