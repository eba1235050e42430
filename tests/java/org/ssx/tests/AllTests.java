package org.ssx.tests;

import org.junit.runner.RunWith;
import org.junit.runners.Suite;

/** The Java suite (CTest: java_binding). */
@RunWith(Suite.class)
@Suite.SuiteClasses({
    ConnectTest.class,
    StreamTest.class,
    TokenTest.class,
    ImpersonationTest.class,
    JsseInteropTest.class,
    LeakTest.class,
})
public class AllTests {}
