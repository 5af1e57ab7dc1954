package org.waymark.demo.platform

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import kotlinx.coroutines.Job
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.launch
import org.waymark.Network
import org.waymark.demo.core.AppSettings

/**
 * Background update with the framework's JobScheduler: once a day, only
 * on an unmetered network and while charging unless the person chose
 * otherwise. Syncs within the person's data limit; nothing is logged.
 */
public object SyncScheduler {
    /** The job's id. */
    public const val JOB_ID: Int = 1601

    /** How often the job may run. */
    public const val PERIOD_MS: Long = 24L * 60 * 60 * 1000

    /** The job for [settings] (whether or not it is scheduled). */
    public fun jobFor(context: Context, settings: AppSettings): JobInfo =
        JobInfo.Builder(JOB_ID, ComponentName(context, SyncJobService::class.java))
            .setRequiredNetworkType(if (settings.syncUnmeteredOnly) JobInfo.NETWORK_TYPE_UNMETERED else JobInfo.NETWORK_TYPE_ANY)
            .setRequiresCharging(settings.syncChargingOnly)
            .setPeriodic(PERIOD_MS)
            .build()

    /** Schedules the job, or cancels it, as [settings] say. */
    public fun apply(context: Context, settings: AppSettings) {
        val scheduler = context.getSystemService(Context.JOB_SCHEDULER_SERVICE) as JobScheduler
        if (settings.backgroundSync) scheduler.schedule(jobFor(context, settings)) else scheduler.cancel(JOB_ID)
    }
}

/** The background update itself. */
public class SyncJobService : JobService() {
    private val scope = MainScope()
    private var running: Job? = null

    override fun onStartJob(params: JobParameters): Boolean {
        val settings = Graph.settings(this)
        running = scope.launch {
            val ok = runCatching {
                val content = Graph.session(this@SyncJobService).content
                content.setSyncSettings(settings.syncSettings())
                content.sync(if (settings.syncUnmeteredOnly) Network.UNMETERED else Network.METERED, null, null)
            }.isSuccess
            jobFinished(params, !ok)
        }
        return true
    }

    override fun onStopJob(params: JobParameters): Boolean {
        // The constraints no longer hold (Wi-Fi lost, unplugged): the sync
        // stops at its next chunk and resumes next time.
        running?.cancel()
        return true
    }

    override fun onDestroy() {
        running?.cancel()
        super.onDestroy()
    }
}
