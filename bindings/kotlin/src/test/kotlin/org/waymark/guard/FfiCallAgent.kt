package org.waymark.guard

import java.lang.instrument.ClassFileTransformer
import java.lang.instrument.Instrumentation
import java.security.ProtectionDomain
import org.objectweb.asm.ClassReader
import org.objectweb.asm.ClassVisitor
import org.objectweb.asm.ClassWriter
import org.objectweb.asm.MethodVisitor
import org.objectweb.asm.Opcodes

/**
 * A Java agent (test scope; surefire starts the test JVM with
 * `-javaagent:target/ffi-guard-agent.jar`) that lets the tests see every
 * call into the native library.
 *
 * The generated bindings call the library through JNA direct mapping: the
 * `external` functions of `org.waymark.UniffiLib` and
 * `IntegrityCheckingUniffiLib`, bound to the C symbols by JNI, with no Java
 * code in between to decorate. So the agent rewrites the callers instead:
 * as each class of `org.waymark` loads, before every call to one of those
 * functions it inserts `FfiCalls.record("<symbol>", <starts a future>)`.
 * The inserted call takes what it pushes, so the stack and the frames are
 * unchanged.
 *
 * "Starts a future" is true where the calling method is a `suspend`
 * function: uniffi's async calls only create a Rust future on the caller's
 * thread (the work runs on the library's own threads), and their polling
 * comes back through `ffi_*_rust_future_*` from wherever the coroutine
 * resumes.
 */
object FfiCallAgent {
    private val libraries = setOf("org/waymark/UniffiLib", "org/waymark/IntegrityCheckingUniffiLib")
    private const val RECORDER = "org/waymark/guard/FfiCalls"
    private const val CONTINUATION = "Lkotlin/coroutines/Continuation;)Ljava/lang/Object;"

    @JvmStatic
    fun premain(args: String?, instrumentation: Instrumentation) {
        instrumentation.addTransformer(Transformer)
        FfiCalls.agentInstalled = true
    }

    private object Transformer : ClassFileTransformer {
        override fun transform(
            loader: ClassLoader?,
            className: String?,
            classBeingRedefined: Class<*>?,
            protectionDomain: ProtectionDomain?,
            classfileBuffer: ByteArray,
        ): ByteArray? {
            if (className == null || !className.startsWith("org/waymark/") || className.startsWith("org/waymark/guard/")) {
                return null
            }
            return try {
                instrument(classfileBuffer)
            } catch (e: Throwable) {
                // A transformer's exception is swallowed by the JVM: say it.
                System.err.println("ffi-guard: could not instrument $className: $e")
                null
            }
        }
    }

    /** The class with a record call before each native call; null if it makes none. */
    fun instrument(bytes: ByteArray): ByteArray? {
        val reader = ClassReader(bytes)
        val writer = ClassWriter(reader, ClassWriter.COMPUTE_MAXS)
        var changed = false
        reader.accept(
            object : ClassVisitor(Opcodes.ASM9, writer) {
                override fun visitMethod(
                    access: Int,
                    name: String,
                    descriptor: String,
                    signature: String?,
                    exceptions: Array<out String>?,
                ): MethodVisitor {
                    val startsFuture = descriptor.endsWith(CONTINUATION)
                    val next = super.visitMethod(access, name, descriptor, signature, exceptions)
                    return object : MethodVisitor(Opcodes.ASM9, next) {
                        override fun visitMethodInsn(
                            opcode: Int,
                            owner: String,
                            method: String,
                            methodDescriptor: String,
                            isInterface: Boolean,
                        ) {
                            if (owner in libraries && (method.startsWith("uniffi_") || method.startsWith("ffi_"))) {
                                super.visitLdcInsn(method)
                                super.visitInsn(if (startsFuture) Opcodes.ICONST_1 else Opcodes.ICONST_0)
                                super.visitMethodInsn(Opcodes.INVOKESTATIC, RECORDER, "record", "(Ljava/lang/String;Z)V", false)
                                changed = true
                            }
                            super.visitMethodInsn(opcode, owner, method, methodDescriptor, isInterface)
                        }
                    }
                }
            },
            0,
        )
        return if (changed) writer.toByteArray() else null
    }
}
