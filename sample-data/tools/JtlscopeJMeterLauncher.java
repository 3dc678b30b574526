/*
 * JtlscopeJMeterLauncher - start Debian's JMeter 2.13 with XStream permissions
 * granted, so that .jmx plans (and .jtl XML results) can be loaded.
 *
 * Why: Debian 12 ships JMeter 2.13 together with XStream 1.4.20.  Since
 * XStream 1.4.18 the security framework denies every class that is not on
 * its built-in allow list, and JMeter 2.13's SaveService never grants its
 * own classes, so loading ANY plan fails with
 *   ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper
 *
 * What: we let org.apache.jmeter.NewDriver build JMeter's class loader
 * exactly as the stock launcher does, initialise JMeterUtils (home and
 * jmeter.properties, because SaveService's static initialiser reads them),
 * force-load SaveService in that loader, call
 *   XStream.addPermission(AnyTypePermission.ANY)
 * on its two private static XStream instances (JMXSAVER for plans,
 * JTLSAVER for XML results) by reflection, then hand over to
 * NewDriver.main(args) unchanged.  JMeter later re-reads its properties
 * (including -J/-q/-p options) as usual.
 *
 * Only use it with plans you trust (ours, in sample-data/): ANY re-opens
 * XStream's deserialisation to every type, as in XStream < 1.4.18.
 *
 * Build/run (done by sample-data/regen.sh):
 *   javac -d BUILD -cp /usr/share/jmeter/bin/ApacheJMeter.jar JtlscopeJMeterLauncher.java
 *   java -Djmeter.home=/usr/share/jmeter \
 *        -cp /usr/share/jmeter/bin/ApacheJMeter.jar:BUILD JtlscopeJMeterLauncher -n -t plan.jmx ...
 */
import java.lang.reflect.Field;
import java.lang.reflect.Method;

public final class JtlscopeJMeterLauncher {
    private JtlscopeJMeterLauncher() {}

    public static void main(String[] args) throws Throwable {
        // Static init of NewDriver builds the DynamicClassLoader over lib/ and lib/ext/.
        Class<?> newDriver = Class.forName("org.apache.jmeter.NewDriver");
        Field loaderField = newDriver.getDeclaredField("loader");
        loaderField.setAccessible(true);
        ClassLoader loader = (ClassLoader) loaderField.get(null);
        String home = (String) newDriver.getMethod("getJMeterDir").invoke(null);

        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        try {
            Class<?> utils = Class.forName("org.apache.jmeter.util.JMeterUtils", true, loader);
            utils.getMethod("setJMeterHome", String.class).invoke(null, home);
            utils.getMethod("loadJMeterProperties", String.class)
                 .invoke(null, home + "/bin/jmeter.properties");

            Class<?> saveService = Class.forName("org.apache.jmeter.save.SaveService", true, loader);
            Class<?> typePermission =
                Class.forName("com.thoughtworks.xstream.security.TypePermission", true, loader);
            Object any = Class.forName("com.thoughtworks.xstream.security.AnyTypePermission", true, loader)
                              .getField("ANY").get(null);
            int granted = 0;
            for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
                Field f = saveService.getDeclaredField(name);
                f.setAccessible(true);
                Object xstream = f.get(null);
                Method add = xstream.getClass().getMethod("addPermission", typePermission);
                add.invoke(xstream, any);
                granted++;
            }
            if (granted != 2) {
                throw new IllegalStateException("could not patch SaveService XStream instances");
            }
            System.err.println("jtlscope launcher: XStream AnyTypePermission granted to SaveService ("
                               + granted + " instances), JMeter home " + home);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
        newDriver.getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
